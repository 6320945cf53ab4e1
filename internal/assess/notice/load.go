package notice

import (
	"context"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// Store is what loading a notice reads: stored publications and the frozen
// scheme versions they name.
type Store interface {
	Publication(ctx context.Context, id int64) (assess.Publication, error)
	SchemeVersion(ctx context.Context, code string, version int) (assess.Scheme, error)
}

// Load reads the scores publication id, as the actor may see it (the same
// rule as listing publications, assess.Visibility: whole, or an excerpt of
// their units), with the latest department metrics published for its period
// and territory seen the same way, into a Notice. name names unit and
// territory codes (may be nil). Nothing is recomputed.
func Load(ctx context.Context, svc *assess.Service, st Store, actor auth.Actor, id int64, name func(string) string) (*Notice, error) {
	p, err := st.Publication(ctx, id)
	if err != nil {
		return nil, err
	}
	visible, err := svc.Publications(ctx, actor, p.Kind, p.Period, p.Scope)
	if err != nil {
		return nil, err
	}
	found := false
	for _, v := range visible {
		if v.ID == id {
			p, found = v, true
		}
	}
	if !found {
		// Not the actor's to see: as if it did not exist.
		return nil, xiuhua.Errorf(xiuhua.ENotFound, "no publication %d", "发布记录 %d 不存在", id)
	}
	in := Input{Scores: p, Name: name, Indicators: map[string]string{}}
	if p.Kind == "scores" {
		var b body[assess.Scores]
		if err := jsonUnmarshal(p.Body, &b); err != nil {
			return nil, err
		}
		if sc, err := st.SchemeVersion(ctx, b.Result.Scheme, b.Result.SchemeVersion); err == nil {
			indicatorNames(sc.Indicators, in.Indicators)
		} else if xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			return nil, err
		}
		// The period's department metrics over the round's territory, else
		// over the whole installation, as far as the actor may see them.
		for _, t := range []string{b.Result.Territory, ""} {
			ms, err := svc.Publications(ctx, actor, "metrics", p.Period, "metrics:unit:"+t)
			if err != nil {
				return nil, err
			}
			if len(ms) > 0 {
				in.Metrics = &ms[len(ms)-1]
				break
			}
			if t == "" {
				break
			}
		}
	}
	return Build(in)
}

func indicatorNames(is []assess.Indicator, out map[string]string) {
	for _, i := range is {
		out[i.Code] = i.Name
		indicatorNames(i.Children, out)
	}
}
