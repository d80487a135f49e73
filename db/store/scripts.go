package store

import (
	"context"
	"time"

	"github.com/picloud/picloud/db/internal/dbsqlc"
)

// Script is named Rhai source inside an app; its source lives in versions.
type Script struct {
	ID            int64
	AppID         int64
	Name          string // unique per app; [a-z0-9_-], 1–63 bytes
	ActiveVersion int32  // 0 until a version is activated
	LatestVersion int32  // the newest version's number, 0 before the first
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ScriptVersion is one immutable upload of a script's source.
type ScriptVersion struct {
	ID        int64
	ScriptID  int64
	Number    int32    // 1, 2, … per script
	Source    string   // empty in Versions listings
	SHA256    [32]byte // of Source
	CreatedAt time.Time
}

// Scripts stores scripts and their versions.
type Scripts struct{ q *dbsqlc.Queries }

// Insert creates a script with no version (ErrConflict when the app has one
// of that name, ErrNotFound when the app does not exist).
func (s *Scripts) Insert(ctx context.Context, appID int64, name string) (Script, error) {
	row, err := s.q.ScriptInsert(ctx, appID, name)
	if err != nil {
		return Script{}, wrap(err, "insert script %q in app %d", name, appID)
	}
	return scriptFrom(row), nil
}

// Get returns the script with the given id.
func (s *Scripts) Get(ctx context.Context, id int64) (Script, error) {
	row, err := s.q.ScriptGetByID(ctx, id)
	if err != nil {
		return Script{}, wrap(err, "get script %d", id)
	}
	return scriptFrom(row), nil
}

// GetByName returns the app's script of that name.
func (s *Scripts) GetByName(ctx context.Context, appID int64, name string) (Script, error) {
	row, err := s.q.ScriptGetByName(ctx, appID, name)
	if err != nil {
		return Script{}, wrap(err, "get script %q in app %d", name, appID)
	}
	return scriptFrom(row), nil
}

// List returns the app's scripts by name.
func (s *Scripts) List(ctx context.Context, appID int64) ([]Script, error) {
	rows, err := s.q.ScriptListByApp(ctx, appID)
	if err != nil {
		return nil, wrap(err, "list scripts of app %d", appID)
	}
	out := make([]Script, len(rows))
	for i, r := range rows {
		out[i] = scriptFrom(r)
	}
	return out, nil
}

// ListAfter returns up to limit of the app's scripts in name order after
// the name after ("" for the first page).
func (s *Scripts) ListAfter(ctx context.Context, appID int64, after string, limit int32) ([]Script, error) {
	rows, err := s.q.ScriptListByAppAfter(ctx, dbsqlc.ScriptListByAppAfterParams{AppID: appID, AfterName: after, MaxRows: limit})
	if err != nil {
		return nil, wrap(err, "list scripts of app %d", appID)
	}
	out := make([]Script, len(rows))
	for i, r := range rows {
		out[i] = scriptFrom(r)
	}
	return out, nil
}

// Delete deletes the script with its versions, triggers and invocations.
func (s *Scripts) Delete(ctx context.Context, id int64) error {
	n, err := s.q.ScriptDelete(ctx, id)
	if err != nil {
		return wrap(err, "delete script %d", id)
	}
	if n == 0 {
		return notFound("delete script %d", id)
	}
	return nil
}

// AddVersion stores source as the script's next version. It does not
// activate it.
func (s *Scripts) AddVersion(ctx context.Context, scriptID int64, source string) (ScriptVersion, error) {
	row, err := s.q.ScriptVersionInsert(ctx, source, scriptID)
	if err != nil {
		return ScriptVersion{}, wrap(err, "add a version to script %d", scriptID)
	}
	return versionFrom(row.ID, row.ScriptID, row.Number, row.Source, row.Sha256, row.CreatedAt), nil
}

// Activate makes version the one that runs (ErrNotFound when the script has
// no such version). Rolling back is activating an older version.
func (s *Scripts) Activate(ctx context.Context, scriptID int64, version int32) (Script, error) {
	row, err := s.q.ScriptActivate(ctx, version, scriptID)
	if err != nil {
		return Script{}, wrap(err, "activate version %d of script %d", version, scriptID)
	}
	return scriptFrom(row), nil
}

// Version returns one version of the script, with its source.
func (s *Scripts) Version(ctx context.Context, scriptID int64, number int32) (ScriptVersion, error) {
	r, err := s.q.ScriptVersionGet(ctx, scriptID, number)
	if err != nil {
		return ScriptVersion{}, wrap(err, "get version %d of script %d", number, scriptID)
	}
	return versionFrom(r.ID, r.ScriptID, r.Number, r.Source, r.Sha256, r.CreatedAt), nil
}

// ActiveVersion returns the script's active version, with its source
// (ErrNotFound when none is active).
func (s *Scripts) ActiveVersion(ctx context.Context, scriptID int64) (ScriptVersion, error) {
	r, err := s.q.ScriptVersionGetActive(ctx, scriptID)
	if err != nil {
		return ScriptVersion{}, wrap(err, "get the active version of script %d", scriptID)
	}
	return versionFrom(r.ID, r.ScriptID, r.Number, r.Source, r.Sha256, r.CreatedAt), nil
}

// Versions lists the script's versions, newest first, without their source.
func (s *Scripts) Versions(ctx context.Context, scriptID int64) ([]ScriptVersion, error) {
	rows, err := s.q.ScriptVersionList(ctx, scriptID)
	if err != nil {
		return nil, wrap(err, "list versions of script %d", scriptID)
	}
	out := make([]ScriptVersion, len(rows))
	for i, r := range rows {
		out[i] = versionFrom(r.ID, r.ScriptID, r.Number, "", r.Sha256, r.CreatedAt)
	}
	return out, nil
}

func scriptFrom(r dbsqlc.Script) Script {
	return Script{
		ID: r.ID, AppID: r.AppID, Name: r.Name, ActiveVersion: val(r.ActiveVersion),
		LatestVersion: r.LatestVersion, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func versionFrom(id, scriptID int64, number int32, source string, sum []byte, created time.Time) ScriptVersion {
	v := ScriptVersion{ID: id, ScriptID: scriptID, Number: number, Source: source, CreatedAt: created}
	copy(v.SHA256[:], sum)
	return v
}
