package territory

import (
	"fmt"

	"github.com/xiuhua/xiuhua"
)

// msg is one message in English and Chinese.
type msg struct{ en, zh string }

func (m msg) err() *xiuhua.Error {
	return &xiuhua.Error{Code: xiuhua.EInvalid, Message: m.en, MessageZh: m.zh}
}

// maxDetails caps the lines of a rejection. A file with a systematic mistake
// (every coordinate swapped, say) would otherwise produce one line per
// feature; the first hundred are enough to see the pattern.
const maxDetails = 100

// problem is one reason to reject an import, tied to the feature it came
// from. index is the 0-based position of the feature in the file (or of the
// area in the slice given to Validate), or -1 for the file as a whole.
type problem struct {
	index int
	code  string
	msg
}

// line renders the problem as one Details line, English then Chinese, so
// that whoever reads either half finds the same feature. Features are
// counted from 1, as a person counts them ("第1个要素" is the first).
func (p problem) line() string {
	switch {
	case p.index < 0:
		return p.en + " / " + p.zh
	case p.code == "":
		return fmt.Sprintf("feature %d: %s / 第%d个要素：%s", p.index+1, p.en, p.index+1, p.zh)
	default:
		return fmt.Sprintf("feature %d (code %s): %s / 第%d个要素（编码 %s）：%s",
			p.index+1, p.code, p.en, p.index+1, p.code, p.zh)
	}
}

// problems collects every reason to reject an import so that all of them are
// reported at once.
type problems []problem

func (ps *problems) add(index int, code string, m msg) {
	*ps = append(*ps, problem{index: index, code: code, msg: m})
}

// reject turns the collected problems into one error, or nil when there are
// none. what names the thing rejected, in English and Chinese.
func (ps problems) reject(what msg) error {
	n := len(ps)
	if n == 0 {
		return nil
	}
	plural := "s"
	if n == 1 {
		plural = ""
	}
	e := msg{
		fmt.Sprintf("%s rejected: %d problem%s; nothing was imported", what.en, n, plural),
		fmt.Sprintf("%s被拒绝：%d 处问题，未导入任何数据", what.zh, n),
	}.err()
	shown := ps
	if n > maxDetails {
		// Keep the total at maxDetails lines, the last one saying what was cut.
		shown = ps[:maxDetails-1]
	}
	e.Details = make([]string, 0, len(shown)+1)
	for _, p := range shown {
		e.Details = append(e.Details, p.line())
	}
	if more := n - len(shown); more > 0 {
		e.Details = append(e.Details, fmt.Sprintf("… and %d more problems not listed / 另有 %d 处问题未列出", more, more))
	}
	return e
}

var (
	whatFile   = msg{"territory file", "区划文件"}
	whatImport = msg{"territory import", "区划导入"}
)
