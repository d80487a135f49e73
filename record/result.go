package record

import (
	"errors"
	"fmt"

	"github.com/picloud/picloud/db/store"
	"github.com/picloud/picloud/hostfuncs/abi"
	"github.com/picloud/picloud/runtime"
)

// Fill completes inv, whose identity, script, trigger, start time and event
// the caller set, with what runtime.Host.Invoke returned: outcome, duration,
// fuel, peak memory, result, error with its position, and logs.
//
// The script's debug() lines are kept only when debugOutput (the app's
// debug_output flag) is set; print() lines are kept at level info. Lines the
// sandbox dropped over its log limits are noted in one last warn line.
func Fill(inv *store.Invocation, res runtime.Result, err error, debugOutput bool) {
	inv.Duration = res.Duration
	inv.FuelUsed = res.Fuel
	inv.PeakMemoryBytes = res.PeakMemory
	inv.Outcome = store.Outcome(res.Outcome)
	if inv.Outcome == "" {
		inv.Outcome = store.OutcomeError
	}
	if inv.Outcome == store.OutcomeOK {
		inv.Result = res.Value
	}
	var se *runtime.ScriptError
	switch {
	case res.Error != nil:
		inv.Error, inv.ErrorLine, inv.ErrorColumn = res.Error.Error(), int32(res.Error.Line), int32(res.Error.Col)
	case errors.As(err, &se):
		inv.Error, inv.ErrorLine, inv.ErrorColumn = se.Error(), int32(se.Line), int32(se.Col)
	case err != nil:
		inv.Error = err.Error()
	}

	inv.Logs = make([]store.LogLine, 0, len(res.Logs)+1)
	for _, l := range res.Logs {
		level := l.Level.String()
		switch l.Level {
		case abi.LevelDebug:
			if !debugOutput {
				continue
			}
		case abi.LevelPrint:
			level = abi.LevelInfo.String()
		}
		inv.Logs = append(inv.Logs, store.LogLine{Seq: int32(len(inv.Logs)), Level: level, Message: l.Text, At: l.Time})
	}
	if res.LogsDropped > 0 {
		at := inv.StartedAt.Add(res.Duration)
		if n := len(res.Logs); n > 0 {
			at = res.Logs[n-1].Time
		}
		inv.Logs = append(inv.Logs, store.LogLine{
			Seq: int32(len(inv.Logs)), Level: abi.LevelWarn.String(), At: at,
			Message: fmt.Sprintf("%d more log lines dropped: the invocation's log limit was reached", res.LogsDropped),
		})
	}
}
