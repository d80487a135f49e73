package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/topic"
)

// Checks the dashboard calls as the user types, answered by the same
// packages the server validates triggers with.

// topicCheckJSON answers GET /topics/validate.
type topicCheckJSON struct {
	Pattern string `json:"pattern"`
	Valid   bool   `json:"valid"`
	// Kind is exact, prefix or all, for a valid pattern.
	Kind  string            `json:"kind,omitempty"`
	Error *patternErrorJSON `json:"error"`
	// Topic, TopicError and Matches are set when ?topic= is given: whether
	// that topic is valid and whether the pattern matches it.
	Topic      *string           `json:"topic,omitempty"`
	TopicError *patternErrorJSON `json:"topic_error,omitempty"`
	Matches    *bool             `json:"matches,omitempty"`
}

// patternErrorJSON says why a pattern or topic is invalid and where.
type patternErrorJSON struct {
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Offset  int    `json:"offset"`
}

func patternError(err error) *patternErrorJSON {
	out := &patternErrorJSON{Message: err.Error(), Reason: err.Error()}
	var te *topic.Error
	if errors.As(err, &te) {
		out.Reason, out.Offset = te.Reason, te.Offset
	}
	return out
}

// validateTopic answers whether ?pattern= is a valid pub/sub pattern (200
// either way: the answer is the verdict), and, given ?topic=, whether it
// matches that topic.
func (s *Server) validateTopic(c *gin.Context) {
	raw, ok := c.GetQuery("pattern")
	if !ok {
		s.fail(c, invalidParam("pattern", `required: the pattern to check, e.g. "orders.*"`), nil)
		return
	}
	out := topicCheckJSON{Pattern: raw}
	p, err := topic.ParsePattern(raw)
	if err != nil {
		out.Error = patternError(err)
	} else {
		out.Valid = true
		switch {
		case p.All():
			out.Kind = "all"
		case p.Prefix() != "":
			out.Kind = "prefix"
		default:
			out.Kind = "exact"
		}
	}
	if t, ok := c.GetQuery("topic"); ok {
		out.Topic = &t
		if err := topic.Validate(t); err != nil {
			out.TopicError = patternError(err)
		} else if out.Valid {
			m := p.Match(t)
			out.Matches = &m
		}
	}
	c.JSON(http.StatusOK, out)
}

// cronPreviewJSON answers GET /cron/preview.
type cronPreviewJSON struct {
	Schedule string `json:"schedule"`
	TimeZone string `json:"time_zone"`
	// Next are the next five fire times, in the schedule's time zone.
	Next []time.Time `json:"next"`
}

// previewCron answers the next five fire times of ?schedule= in ?tz=
// (default UTC), or a 400 saying what is wrong with them.
func (s *Server) previewCron(c *gin.Context) {
	expr, tz := c.Query("schedule"), c.Query("tz")
	sch, err := parseSchedule(expr, tz, "schedule", "tz")
	if err != nil {
		s.fail(c, err, nil)
		return
	}
	c.JSON(http.StatusOK, cronPreviewJSON{
		Schedule: sch.String(), TimeZone: sch.Location().String(),
		Next: sch.NextN(s.cfg.Now(), previewFires),
	})
}
