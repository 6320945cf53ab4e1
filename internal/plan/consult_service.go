package plan

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
)

// ConsultStore is what project photos and public consultation need of the
// store (*store.DB).
type ConsultStore interface {
	// SetProjectFlags sets whether a project is public and open for suggestions.
	SetProjectFlags(ctx context.Context, id int64, public, consult bool) error
	AddProjectPhoto(ctx context.Context, ph *Photo) error
	ProjectPhotos(ctx context.Context, project int64) ([]Photo, error)
	// UnusableBlobs returns the ids among ids that use may not attach (not
	// uploaded by the user, nor attached to a case in scope).
	UnusableBlobs(ctx context.Context, use casework.BlobUse, ids []string) ([]string, error)
	AddSuggestion(ctx context.Context, sg *Suggestion) error
	Suggestion(ctx context.Context, id int64) (Suggestion, error)
	// Suggestions lists a project's suggestions in a state ("" all), oldest first.
	Suggestions(ctx context.Context, project int64, state string) ([]Suggestion, error)
	// AllSuggestions lists every project's suggestions in a state ("" all), oldest first.
	AllSuggestions(ctx context.Context, state string) ([]Suggestion, error)
	// ModerateSuggestion decides a pending suggestion (a decided one is a conflict).
	ModerateSuggestion(ctx context.Context, id int64, state, reason string, by int64, at time.Time) error
	// AddVote records a poll vote unless the voter has voted on the project,
	// or the address has since since; ok false when refused.
	AddVote(ctx context.Context, project int64, voter, ip, rating string, at, since time.Time) (ok bool, err error)
	PollCounts(ctx context.Context, project int64) (map[string]int, error)
}

// VoteWindow is how long one address may not vote again on a project's
// poll (besides the one vote per browser).
const VoteWindow = 24 * time.Hour

// PhotoInput adds a photo, uploaded first to /api/v1/blobs, to a project.
type PhotoInput struct {
	Blob    string    `json:"blob"`
	Kind    string    `json:"kind"`
	Caption string    `json:"caption"`
	TakenAt time.Time `json:"taken_at"`
}

// AddPhoto adds a photo before, during or after the works. Only who plans
// the project's territory may, and only with a photo they uploaded or one
// already attached to a case in their territory: knowing a photo's hash is
// not enough to show it publicly.
func (s *Service) AddPhoto(ctx context.Context, a auth.Actor, id int64, in PhotoInput) (Photo, error) {
	p, err := s.Project(ctx, a, id)
	if err != nil {
		return Photo{}, err
	}
	if err := canPlan(a, p.Territory); err != nil {
		return Photo{}, err
	}
	in.Caption = strings.TrimSpace(in.Caption)
	var d []string
	if !slices.Contains(PhotoKinds, in.Kind) {
		d = append(d, "kind: before, progress or after / 类型须为 before、progress 或 after")
	}
	if utf8.RuneCountInString(in.Caption) > 200 {
		d = append(d, "caption: at most 200 characters / 说明最多 200 字")
	}
	now := s.now()
	if in.TakenAt.IsZero() {
		in.TakenAt = now
	}
	if in.TakenAt.After(now.Add(24 * time.Hour)) {
		d = append(d, "taken_at: not in the future / 拍摄时间不能晚于现在")
	}
	if in.Blob == "" {
		d = append(d, "blob: required (upload the photo to /api/v1/blobs first) / 须填写照片（请先上传到 /api/v1/blobs）")
	}
	if len(d) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid photo", "照片信息无效")
		e.Details = d
		return Photo{}, e
	}
	bad, err := s.Store.UnusableBlobs(ctx, casework.BlobUse{UserID: a.UserID, Scope: a.Scope}, []string{in.Blob})
	if err != nil {
		return Photo{}, err
	}
	if len(bad) > 0 {
		return Photo{}, xiuhua.Errorf(xiuhua.EInvalid, "no photo %s of yours (upload it to /api/v1/blobs first)", "照片 %s 不存在或不属于您（请先上传到 /api/v1/blobs）", in.Blob)
	}
	ph := Photo{Project: id, Blob: in.Blob, Kind: in.Kind, Caption: in.Caption, TakenAt: in.TakenAt, AddedBy: a.UserID, AddedAt: now}
	return ph, s.Store.AddProjectPhoto(audit.WithActor(ctx, a.UserID), &ph)
}

// Photos lists a visible project's photos by the time they were taken.
func (s *Service) Photos(ctx context.Context, a auth.Actor, id int64) ([]Photo, error) {
	if _, err := s.Project(ctx, a, id); err != nil {
		return nil, err
	}
	return s.Store.ProjectPhotos(ctx, id)
}

// ProjectWithPhotos returns one visible project with its photos.
func (s *Service) ProjectWithPhotos(ctx context.Context, a auth.Actor, id int64) (Project, error) {
	p, err := s.Project(ctx, a, id)
	if err != nil {
		return p, err
	}
	p.Photos, err = s.Store.ProjectPhotos(ctx, id)
	return p, err
}

// HasPhoto says whether blob is a photo of a project the actor may see.
func (s *Service) HasPhoto(ctx context.Context, a auth.Actor, id int64, blob string) (bool, error) {
	phs, err := s.Photos(ctx, a, id)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(phs, func(ph Photo) bool { return ph.Blob == blob }), nil
}

// ConsultInput publishes a project on the portal and opens it for
// suggestions; a project must be public to be consulted on.
type ConsultInput struct {
	Public  bool `json:"public"`
	Consult bool `json:"consult"`
}

// SetConsultation publishes (or withdraws) a project on the citizen portal
// and opens (or closes) it for suggestions. Once public and done, its
// satisfaction poll is open.
func (s *Service) SetConsultation(ctx context.Context, a auth.Actor, id int64, in ConsultInput) (Project, error) {
	p, err := s.Project(ctx, a, id)
	if err != nil {
		return p, err
	}
	if err := canPlan(a, p.Territory); err != nil {
		return p, err
	}
	if in.Consult && !in.Public {
		return p, xiuhua.Errorf(xiuhua.EInvalid, "a project must be public to be open for suggestions", "项目须先公开才能征集意见")
	}
	if err := s.Store.SetProjectFlags(audit.WithActor(ctx, a.UserID), id, in.Public, in.Consult); err != nil {
		return p, err
	}
	p.Public, p.Consult = in.Public, in.Consult
	return p, nil
}

// Suggestions lists a visible project's suggestions in a state ("" all).
// Contact details are for who plans the project's territory only.
func (s *Service) Suggestions(ctx context.Context, a auth.Actor, id int64, state string) ([]Suggestion, error) {
	p, err := s.Project(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if state != "" && state != Pending && state != Approved && state != Rejected {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "state: pending, approved or rejected", "状态须为 pending、approved 或 rejected")
	}
	sgs, err := s.Store.Suggestions(ctx, id, state)
	if err != nil {
		return nil, err
	}
	if canPlan(a, p.Territory) != nil {
		for i := range sgs {
			sgs[i].Contact = ""
		}
	}
	return sgs, nil
}

// SuggestionQueue lists the suggestions in a state ("" all) on every
// project the actor plans (admins and leaders, their territory), oldest
// first: the moderation queue across projects, contacts included.
func (s *Service) SuggestionQueue(ctx context.Context, a auth.Actor, state string) ([]Suggestion, error) {
	if !a.Is(auth.Admin, auth.Leader) {
		return nil, xiuhua.Errorf(xiuhua.EForbidden, "only an admin or a leader may moderate suggestions", "只有管理员或领导可以审核意见")
	}
	if state != "" && state != Pending && state != Approved && state != Rejected {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "state: pending, approved or rejected", "状态须为 pending、approved 或 rejected")
	}
	ps, err := s.Store.Projects(ctx)
	if err != nil {
		return nil, err
	}
	mine := map[int64]bool{}
	for _, p := range ps {
		mine[p.ID] = canPlan(a, p.Territory) == nil
	}
	sgs, err := s.Store.AllSuggestions(ctx, state)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(sgs, func(sg Suggestion) bool { return !mine[sg.Project] }), nil
}

// ModerateInput approves a suggestion or rejects it with a reason.
type ModerateInput struct {
	Approve bool   `json:"approve"`
	Reason  string `json:"reason"`
}

// Moderate approves or rejects a pending suggestion: only approved ones
// are shown publicly. A rejection needs a reason; a decision is final.
func (s *Service) Moderate(ctx context.Context, a auth.Actor, sid int64, in ModerateInput) (Suggestion, error) {
	sg, err := s.Store.Suggestion(ctx, sid)
	if err != nil {
		return sg, err
	}
	p, err := s.Store.Project(ctx, sg.Project)
	if err != nil {
		return sg, err
	}
	if !visible(a, p.Territory, "") {
		return Suggestion{}, notFound("suggestion", "意见", sid)
	}
	if err := canPlan(a, p.Territory); err != nil {
		return sg, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	state := Approved
	if !in.Approve {
		state = Rejected
		if in.Reason == "" {
			return sg, xiuhua.Errorf(xiuhua.EInvalid, "a rejection needs a reason", "不予采纳须说明理由")
		}
	}
	if utf8.RuneCountInString(in.Reason) > 500 {
		return sg, xiuhua.Errorf(xiuhua.EInvalid, "reason: at most 500 characters", "理由最多 500 字")
	}
	if err := s.Store.ModerateSuggestion(audit.WithActor(ctx, a.UserID), sid, state, in.Reason, a.UserID, s.now()); err != nil {
		return sg, err
	}
	return s.Store.Suggestion(ctx, sid)
}

// Poll returns a visible project's satisfaction poll.
func (s *Service) Poll(ctx context.Context, a auth.Actor, id int64) (Poll, error) {
	if _, err := s.Project(ctx, a, id); err != nil {
		return Poll{}, err
	}
	c, err := s.Store.PollCounts(ctx, id)
	return Tally(c), err
}

// PublicView is what the citizen portal shows of a public project: no
// contact details, no case numbers, no staff.
type PublicView struct {
	Project     Project
	Photos      []Photo
	Suggestions []Suggestion // approved only, without contact
	// Poll is the satisfaction poll, open once the works are done (nil before).
	Poll *Poll
}

// PublicProjects lists the projects published on the portal, marked.
func (s *Service) PublicProjects(ctx context.Context) ([]Project, error) {
	ps, err := s.Store.Projects(ctx)
	if err != nil {
		return nil, err
	}
	today := s.today()
	out := []Project{}
	for _, p := range ps {
		if p.Public {
			p.Mark(today)
			out = append(out, p)
		}
	}
	return out, nil
}

func noPublicProject(id int64) error {
	return xiuhua.Errorf(xiuhua.ENotFound, "No such project.", "项目不存在。")
}

// publicProject loads a project published on the portal.
func (s *Service) publicProject(ctx context.Context, id int64) (Project, error) {
	p, err := s.Store.Project(ctx, id)
	if err != nil || !p.Public {
		return Project{}, noPublicProject(id)
	}
	p.Mark(s.today())
	return p, nil
}

// PublicProject returns what the portal shows of a published project.
func (s *Service) PublicProject(ctx context.Context, id int64) (PublicView, error) {
	p, err := s.publicProject(ctx, id)
	if err != nil {
		return PublicView{}, err
	}
	v := PublicView{Project: p}
	if v.Photos, err = s.Store.ProjectPhotos(ctx, id); err != nil {
		return v, err
	}
	if v.Suggestions, err = s.Store.Suggestions(ctx, id, Approved); err != nil {
		return v, err
	}
	for i := range v.Suggestions {
		v.Suggestions[i].Contact = ""
	}
	if p.Stage == Done {
		c, err := s.Store.PollCounts(ctx, id)
		if err != nil {
			return v, err
		}
		t := Tally(c)
		v.Poll = &t
	}
	return v, nil
}

// SuggestInput is a citizen's suggestion or comment; contact is optional
// and private.
type SuggestInput struct {
	Kind    string
	Body    string
	Contact string
}

// Suggest takes a citizen's suggestion or comment on a project open for
// them; it waits for moderation before it is shown.
func (s *Service) Suggest(ctx context.Context, id int64, in SuggestInput) (Suggestion, error) {
	p, err := s.publicProject(ctx, id)
	if err != nil {
		return Suggestion{}, err
	}
	if !p.Consult {
		return Suggestion{}, xiuhua.Errorf(xiuhua.EConflict, "This project is not taking suggestions.", "该项目未在征集意见。")
	}
	in.Body, in.Contact = strings.TrimSpace(in.Body), strings.TrimSpace(in.Contact)
	var d []string
	if in.Kind != KindSuggestion && in.Kind != KindComment {
		d = append(d, "Please choose a suggestion or a comment. / 请选择建议或评论。")
	}
	if n := utf8.RuneCountInString(in.Body); n < 5 || n > 1000 {
		d = append(d, "Please write 5 to 1000 characters. / 内容须为 5–1000 字。")
	}
	if utf8.RuneCountInString(in.Contact) > 50 {
		d = append(d, "The contact is longer than 50 characters. / 联系方式超过 50 字。")
	}
	if len(d) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "The suggestion could not be taken.", "意见未能提交。")
		e.Details = d
		return Suggestion{}, e
	}
	sg := Suggestion{Project: id, Kind: in.Kind, Body: in.Body, Contact: in.Contact, State: Pending, CreatedAt: s.now()}
	return sg, s.Store.AddSuggestion(ctx, &sg)
}

// Vote records a satisfaction vote on a published, completed project:
// one per voter (a browser's tracking cookie, hashed) and none from the
// same address (hashed) within VoteWindow.
func (s *Service) Vote(ctx context.Context, id int64, voter, ip, answer string) error {
	p, err := s.publicProject(ctx, id)
	if err != nil {
		return err
	}
	if p.Stage != Done {
		return xiuhua.Errorf(xiuhua.EConflict, "The poll opens when the works are done.", "项目完工后才开放满意度评价。")
	}
	if !slices.Contains(PollAnswers, answer) {
		return xiuhua.Errorf(xiuhua.EInvalid, "Please choose satisfied, basically satisfied or unsatisfied.", "请选择满意、基本满意或不满意。")
	}
	if voter == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "Please allow cookies to vote.", "请允许使用 Cookie 后再评价。")
	}
	now := s.now()
	ok, err := s.Store.AddVote(ctx, id, voter, ip, answer, now, now.Add(-VoteWindow))
	if err != nil {
		return err
	}
	if !ok {
		return xiuhua.Errorf(xiuhua.EConflict, "You have already voted on this project.", "您已对该项目评价过。")
	}
	return nil
}
