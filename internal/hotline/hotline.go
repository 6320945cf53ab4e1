// Package hotline imports work orders of the 12345 government service
// hotline (12345政务服务便民热线) from the CSV files its system exports: each
// order becomes a case with source "hotline", once, whatever number of times
// the file is imported (the order number is the case's external reference).
package hotline

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

// MaxRows bounds one file; a larger export is split by date range.
const MaxRows = 500_000

// Order is one work order (工单) as read from the file.
type Order struct {
	Row          int // 1-based line in the file, header included, as a spreadsheet shows it
	No           string
	ReceivedAt   string
	CategoryText string
	Description  string
	Address      string
	// Lon and Lat are nil for an order that gives only an address, until
	// LocateAddresses places it.
	Lon, Lat *float64
	Urgent   bool
	// Area is the code of the area (community or grid) LocateAddresses
	// matched the address to: the position is a point inside it,
	// approximate ("" for an order with coordinates). It becomes the case's
	// ApproxArea.
	Area string
	// Note is added to the case's description: it says that the position
	// was found from the address and is approximate.
	Note string
}

// RowError says why one row was not imported.
type RowError struct {
	Row       int    `json:"row"`
	OrderNo   string `json:"order_no,omitempty"`
	Message   string `json:"message"`
	MessageZh string `json:"message_zh"`
}

// columns maps the header names seen in 12345 exports (and plain English
// ones) to our fields.
var columns = map[string]string{
	"工单编号": "no", "工单号": "no", "order_no": "no", "order": "no", "编号": "no",
	"受理时间": "received", "来电时间": "received", "received_at": "received", "time": "received",
	"诉求类别": "category", "问题分类": "category", "问题类别": "category", "事项分类": "category", "category": "category",
	"问题描述": "description", "诉求内容": "description", "工单内容": "description", "description": "description",
	"地址": "address", "事发地址": "address", "address": "address",
	"经度": "lon", "lon": "lon", "longitude": "lon", "lng": "lon",
	"纬度": "lat", "lat": "lat", "latitude": "lat",
	"坐标": "coords", "coordinates": "coords",
	"紧急程度": "urgency", "urgency": "urgency",
}

// Parse reads a CSV export: UTF-8 (with or without a byte-order mark) or
// GB18030, which is what spreadsheet software in China saves by default.
// It returns the orders that parsed and one RowError per row that did not;
// err is for a file that cannot be read at all.
func Parse(r io.Reader) ([]Order, []RowError, error) {
	data, err := io.ReadAll(io.LimitReader(r, 512<<20))
	if err != nil {
		return nil, nil, xiuhua.Errorf(xiuhua.EInvalid, "cannot read the file: %v", "无法读取文件：%v", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		if dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data); err == nil {
			data = dec
		}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, xiuhua.Errorf(xiuhua.EInvalid, "the file has no header line", "文件缺少表头")
	}
	col := map[string]int{}
	for i, h := range header {
		if f, ok := columns[strings.ToLower(strings.TrimSpace(h))]; ok {
			if _, dup := col[f]; !dup {
				col[f] = i
			}
		}
	}
	var missing []string
	for _, f := range []string{"no", "category", "description"} {
		if _, ok := col[f]; !ok {
			missing = append(missing, f)
		}
	}
	_, hasLon := col["lon"]
	_, hasLat := col["lat"]
	_, hasCoords := col["coords"]
	_, hasAddress := col["address"]
	if !(hasLon && hasLat) && !hasCoords && !hasAddress {
		missing = append(missing, "lon+lat (经度+纬度), coords (坐标) or address (地址)")
	}
	if len(missing) > 0 {
		return nil, nil, xiuhua.Errorf(xiuhua.EInvalid,
			"the header lacks columns: %s (expected e.g. 工单编号, 诉求类别, 问题描述, 地址, 经度, 纬度)",
			"表头缺少列：%s（应有 工单编号、诉求类别、问题描述、地址、经度、纬度 等）", strings.Join(missing, ", "))
	}
	get := func(rec []string, f string) string {
		if i, ok := col[f]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var orders []Order
	var errs []RowError
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		// The file's own line number, as a spreadsheet shows it (blank lines count).
		row, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				row = pe.StartLine
			}
			errs = append(errs, RowError{Row: row, Message: "malformed CSV line: " + err.Error(), MessageZh: "CSV 行格式错误：" + err.Error()})
			continue
		}
		if len(orders)+len(errs) >= MaxRows {
			return nil, nil, xiuhua.Errorf(xiuhua.ETooLarge, "more than %d rows: split the export", "超过 %d 行，请分批导出", MaxRows)
		}
		o := Order{Row: row, No: get(rec, "no"), ReceivedAt: get(rec, "received"), CategoryText: get(rec, "category"),
			Description: get(rec, "description"), Address: get(rec, "address")}
		o.Urgent = strings.Contains(get(rec, "urgency"), "急") || strings.EqualFold(get(rec, "urgency"), "urgent")
		bad := func(en, zh string) {
			errs = append(errs, RowError{Row: row, OrderNo: o.No, Message: en, MessageZh: zh})
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a line of empty cells
		}
		if o.No == "" {
			bad("no order number", "缺少工单编号")
			continue
		}
		if first, dup := seen[o.No]; dup {
			bad(fmt.Sprintf("order number repeated (first on row %d)", first), fmt.Sprintf("工单编号重复（首次出现在第 %d 行）", first))
			continue
		}
		seen[o.No] = row
		lonS, latS := get(rec, "lon"), get(rec, "lat")
		if c := get(rec, "coords"); c != "" && lonS == "" && latS == "" {
			parts := strings.FieldsFunc(c, func(r rune) bool { return r == ',' || r == '，' || r == ' ' })
			if len(parts) == 2 {
				lonS, latS = parts[0], parts[1]
			}
		}
		if lonS == "" && latS == "" && o.Address != "" {
			orders = append(orders, o) // placed by its address (LocateAddresses)
			continue
		}
		if lonS == "" || latS == "" {
			bad("no coordinates and no address: xiuhua needs a point, or an address naming the community, to find the unit grid",
				"缺少经纬度和地址：需要坐标或写明社区的地址才能确定单元网格")
			continue
		}
		lon, err1 := strconv.ParseFloat(lonS, 64)
		lat, err2 := strconv.ParseFloat(latS, 64)
		if err1 != nil || err2 != nil || math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
			bad(fmt.Sprintf("bad coordinates %q, %q", lonS, latS), fmt.Sprintf("经纬度无效：%q, %q", lonS, latS))
			continue
		}
		o.Lon, o.Lat = &lon, &lat
		orders = append(orders, o)
	}
	return orders, errs, nil
}

// Placed is where an AddressLocator put an address: a point inside the
// area the address names, that area's code, and a note saying how
// approximate the point is.
type Placed struct {
	Lon, Lat float64
	Area     string
	Note     string
}

// AddressLocator places an address without coordinates, or answers an error
// (with English and Chinese text) saying why the address is not precise
// enough.
type AddressLocator func(address string) (Placed, error)

// LocateAddresses places the orders that give an address but no
// coordinates. Those it cannot place leave orders and join the row errors,
// which stay in row order.
func LocateAddresses(orders []Order, rowErrs []RowError, locate AddressLocator) ([]Order, []RowError) {
	kept := orders[:0:0]
	added := false
	for _, o := range orders {
		if o.Lon != nil && o.Lat != nil {
			kept = append(kept, o)
			continue
		}
		p, err := locate(o.Address)
		if err != nil {
			e := xiuhua.AsError(err)
			rowErrs = append(rowErrs, RowError{Row: o.Row, OrderNo: o.No,
				Message: "no coordinates, and " + e.Message, MessageZh: "缺少经纬度，且" + e.MessageZh})
			added = true
			continue
		}
		o.Lon, o.Lat, o.Area, o.Note = &p.Lon, &p.Lat, p.Area, p.Note
		kept = append(kept, o)
	}
	if added {
		slices.SortStableFunc(rowErrs, func(a, b RowError) int { return a.Row - b.Row })
	}
	return kept, rowErrs
}

// Mapping maps the hotline's category texts to catalogue codes.
type Mapping map[string]string

// DefaultMapping is what an installation starts with: every catalogue name
// and code maps to itself, plus the wordings 12345 operators commonly use.
func DefaultMapping(cats []catalog.Category) Mapping {
	m := Mapping{}
	for _, c := range cats {
		m[c.Code] = c.Code
		m[c.NameZh] = c.Code
	}
	for text, code := range commonTexts {
		m[text] = code
	}
	return m
}

// commonTexts are wordings seen in 12345 work orders for our categories.
var commonTexts = map[string]string{
	"垃圾未清运": "E0102", "垃圾堆放": "E0102", "生活垃圾": "E0102", "建筑垃圾": "E0103", "渣土": "E0103",
	"道路保洁": "E0104", "河道垃圾": "E0105", "河道保洁": "E0105", "乱堆乱放": "E0107", "晾晒衣物": "E0108",
	"焚烧垃圾": "E0109", "露天烧烤": "E0110", "小广告": "E0201", "牛皮癣": "E0201", "违规广告牌": "E0202",
	"施工噪音": "E0301", "噪音扰民": "E0301", "扬尘": "E0302", "工地扬尘": "E0302", "渣土车遗撒": "E0303",
	"路面塌陷": "E0401", "水管爆裂": "E0402", "燃气泄漏": "E0403", "下水道堵塞": "E0404", "窨井堵塞": "E0404",
	"道路积水": "E0405", "流动摊贩": "E0501", "占道经营": "E0502", "出店经营": "E0503", "违章停车": "E0504",
	"乱停车": "E0504", "占用消防通道": "E0504", "非机动车乱停": "E0505", "共享单车乱停": "E0505",
	"路灯不亮": "C0110", "路灯损坏": "C0110", "井盖缺失": "C0106", "井盖破损": "C0106", "人行道破损": "C0212",
	"护栏损坏": "C0213", "公厕脏乱": "C0301", "垃圾桶破损": "C0304", "店招破损": "C0305", "树木倒伏": "C0402",
	"绿化带破坏": "C0405", "交通信号灯故障": "C0210",
}

// Report is the outcome of an import (or of a dry run).
type Report struct {
	DryRun   bool       `json:"dry_run"`
	Rows     int        `json:"rows"`
	Imported int        `json:"imported"`
	Skipped  int        `json:"skipped_already_imported"`
	Failed   int        `json:"failed"`
	Errors   []RowError `json:"errors"`
}

// Ledger is what the import needs from the store besides the case service.
type Ledger interface {
	ExistingRefs(ctx context.Context, refs []string) (map[string]int64, error)
}

// Ref is the external reference a work order is kept under.
func Ref(orderNo string) string { return "12345:" + orderNo }

// batchSize is how many orders go in one transaction.
const batchSize = 1000

// Import turns parsed orders into cases as actor, batch by batch. Orders
// already in the ledger are skipped; orders that fail (unknown category text,
// outside every grid, outside the actor's territory) are reported by row and
// nothing of theirs is stored. With dryRun nothing at all is stored. progress,
// if set, is called after each batch.
func Import(ctx context.Context, svc *casework.Service, led Ledger, actor auth.Actor, orders []Order, rowErrs []RowError,
	m Mapping, dryRun bool, progress func(done, total int)) (Report, error) {
	if !actor.Is(auth.Admin, auth.Dispatcher) {
		return Report{}, xiuhua.Errorf(xiuhua.EForbidden, "only dispatchers and admins import hotline orders", "只有派遣员和管理员可以导入热线工单")
	}
	rep := Report{DryRun: dryRun, Rows: len(orders) + len(rowErrs), Errors: append([]RowError(nil), rowErrs...)}
	fail := func(o Order, err error) {
		e := xiuhua.AsError(err)
		rep.Errors = append(rep.Errors, RowError{Row: o.Row, OrderNo: o.No, Message: e.Message, MessageZh: e.MessageZh})
	}
	for start := 0; start < len(orders); start += batchSize {
		// A stopped server ends an import between batches: what is
		// imported stays, and importing again skips it.
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		batch := orders[start:min(start+batchSize, len(orders))]
		refs := make([]string, len(batch))
		for i, o := range batch {
			refs[i] = Ref(o.No)
		}
		have, err := led.ExistingRefs(ctx, refs)
		if err != nil {
			return rep, err
		}
		var ins []casework.ReportInput
		var kept []Order
		for _, o := range batch {
			if _, ok := have[Ref(o.No)]; ok {
				rep.Skipped++
				continue
			}
			if o.Lon == nil || o.Lat == nil {
				fail(o, xiuhua.Errorf(xiuhua.EInvalid, "no coordinates: the address was not located", "缺少经纬度：地址未定位"))
				continue
			}
			code, ok := m[o.CategoryText]
			if !ok {
				fail(o, xiuhua.Errorf(xiuhua.EUnprocessable, "category text %q is not mapped to a catalogue code: add it to the hotline mapping",
					"诉求类别“%s”未对应到分类编码，请在热线分类对照表中添加", o.CategoryText))
				continue
			}
			urg := catalog.Normal
			if o.Urgent {
				urg = catalog.Urgent
			}
			desc := o.Description
			if o.ReceivedAt != "" {
				desc = fmt.Sprintf("%s（12345工单 %s，受理时间 %s）", o.Description, o.No, o.ReceivedAt)
			}
			if o.Note != "" {
				desc += "\n" + o.Note
			}
			ins = append(ins, casework.ReportInput{Category: code, Description: desc, Lon: o.Lon, Lat: o.Lat, Address: o.Address,
				Source: casework.SourceHotline, Urgency: urg, ExternalRef: Ref(o.No), ApproxArea: o.Area})
			kept = append(kept, o)
		}
		if dryRun {
			for i, in := range ins {
				if err := svc.Check(ctx, actor, in); err != nil {
					fail(kept[i], err)
				} else {
					rep.Imported++
				}
			}
		} else if len(ins) > 0 {
			_, errs, err := svc.ReportBatch(ctx, actor, ins)
			if xiuhua.ErrorCode(err) == xiuhua.EConflict {
				// Another import stored some of these meanwhile: go one by one.
				errs, err = oneByOne(ctx, svc, actor, ins), nil
			}
			if err != nil {
				return rep, err
			}
			for i, e := range errs {
				switch {
				case e == nil:
					rep.Imported++
				case xiuhua.ErrorCode(e) == xiuhua.EConflict:
					rep.Skipped++
				default:
					fail(kept[i], e)
				}
			}
		}
		if progress != nil {
			progress(min(start+batchSize, len(orders)), len(orders))
		}
	}
	rep.Failed = len(rep.Errors)
	return rep, nil
}

func oneByOne(ctx context.Context, svc *casework.Service, actor auth.Actor, ins []casework.ReportInput) []error {
	errs := make([]error, len(ins))
	for i, in := range ins {
		_, errs[i] = svc.Report(ctx, actor, in)
	}
	return errs
}
