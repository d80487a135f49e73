package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/picloud/picloud/auth"
)

// apiPrefix is where the admin API lives on the admin listener.
const apiPrefix = "/api/v1"

// access says who may call a route.
type access int

const (
	// accessScope: a token with the route's scope.
	accessScope access = iota
	// accessToken: any valid token.
	accessToken
	// accessPublic: anyone, no token.
	accessPublic
)

// apiRoute is one admin API route. Its path is relative to apiPrefix, in
// gin's syntax; a path with ":app" loads that app first (loadApp).
type apiRoute struct {
	method  string
	path    string
	access  access
	scope   auth.Scope // for accessScope
	handler gin.HandlerFunc
	// queryToken lets the token come as ?access_token= (EventSource
	// clients cannot send headers).
	queryToken bool
}

// routes is the admin API: every route, its scope and its handler. The
// OpenAPI document (openapi.yaml) describes exactly these; a test holds the
// two together.
func (s *Server) routes() []apiRoute {
	r := func(method, path string, scope auth.Scope, h gin.HandlerFunc) apiRoute {
		return apiRoute{method: method, path: path, access: accessScope, scope: scope, handler: h}
	}
	tailRoute := r(http.MethodGet, "/apps/:app/invocations/stream", auth.ScriptRead, s.streamInvocations)
	tailRoute.queryToken = true
	return append([]apiRoute{
		{method: http.MethodGet, path: "/openapi.json", access: accessPublic, handler: s.serveOpenAPI},
		{method: http.MethodGet, path: "/whoami", access: accessToken, handler: s.whoami},
		{method: http.MethodGet, path: "/topics/validate", access: accessToken, handler: s.validateTopic},
		{method: http.MethodGet, path: "/cron/preview", access: accessToken, handler: s.previewCron},
		{method: http.MethodPost, path: "/scripts/check", access: accessToken, handler: s.checkScript},

		r(http.MethodGet, "/apps", auth.AppRead, s.listApps),
		r(http.MethodPost, "/apps", auth.AppWrite, s.createApp),
		r(http.MethodGet, "/apps/:app", auth.AppRead, s.getApp),
		r(http.MethodGet, "/apps/:app/stats", auth.ScriptRead, s.appStats),
		r(http.MethodPatch, "/apps/:app", auth.AppWrite, s.updateApp),
		r(http.MethodDelete, "/apps/:app", auth.AppWrite, s.deleteApp),
		r(http.MethodPut, "/apps/:app/env/:name", auth.AppWrite, s.putEnv),
		r(http.MethodDelete, "/apps/:app/env/:name", auth.AppWrite, s.deleteEnv),
		r(http.MethodGet, "/apps/:app/secrets", auth.AppRead, s.listSecrets),
		r(http.MethodPut, "/apps/:app/secrets/:name", auth.AppWrite, s.putSecret),
		r(http.MethodDelete, "/apps/:app/secrets/:name", auth.AppWrite, s.deleteSecret),

		r(http.MethodGet, "/apps/:app/scripts", auth.ScriptRead, s.listScripts),
		r(http.MethodGet, "/apps/:app/scripts/:script", auth.ScriptRead, s.getScript),
		r(http.MethodPut, "/apps/:app/scripts/:script", auth.ScriptWrite, s.uploadScript),
		r(http.MethodPost, "/apps/:app/scripts/:script", auth.ScriptWrite, s.uploadScript),
		r(http.MethodDelete, "/apps/:app/scripts/:script", auth.ScriptWrite, s.deleteScript),
		r(http.MethodGet, "/apps/:app/scripts/:script/versions", auth.ScriptRead, s.listVersions),
		r(http.MethodGet, "/apps/:app/scripts/:script/versions/:version", auth.ScriptRead, s.getVersion),
		r(http.MethodPost, "/apps/:app/scripts/:script/versions/:version/activate", auth.ScriptWrite, s.activateVersion),
		r(http.MethodPost, "/apps/:app/scripts/:script/invoke", auth.ScriptWrite, s.invoke),

		r(http.MethodGet, "/apps/:app/triggers", auth.TriggerRead, s.listTriggers),
		r(http.MethodPost, "/apps/:app/triggers/:kind", auth.TriggerWrite, s.createTrigger),
		r(http.MethodGet, "/apps/:app/triggers/:kind", auth.TriggerRead, s.listTriggers),
		r(http.MethodGet, "/apps/:app/triggers/:kind/:id", auth.TriggerRead, s.getTrigger),
		r(http.MethodPatch, "/apps/:app/triggers/:kind/:id", auth.TriggerWrite, s.patchTrigger),
		r(http.MethodDelete, "/apps/:app/triggers/:kind/:id", auth.TriggerWrite, s.deleteTrigger),
		r(http.MethodPost, "/apps/:app/triggers/:kind/:id/enable", auth.TriggerWrite, s.enableTrigger),
		r(http.MethodPost, "/apps/:app/triggers/:kind/:id/disable", auth.TriggerWrite, s.disableTrigger),

		r(http.MethodGet, "/apps/:app/invocations", auth.ScriptRead, s.listInvocations),
		tailRoute,
		r(http.MethodGet, "/apps/:app/invocations/:id", auth.ScriptRead, s.getInvocation),

		r(http.MethodGet, "/tokens", auth.Admin, s.listTokens),
		r(http.MethodPost, "/tokens", auth.Admin, s.createToken),
		r(http.MethodGet, "/tokens/:id", auth.Admin, s.getToken),
		r(http.MethodDelete, "/tokens/:id", auth.Admin, s.revokeToken),
	}, s.eventRoutes()...) // events.go: publish, queue push, KV, deliveries
}

// registerAPI loads the OpenAPI document and registers every route with its
// middleware: authentication, the scope check, the app lookup.
func (s *Server) registerAPI() error {
	if err := s.loadOpenAPI(); err != nil {
		return err
	}
	for _, rt := range s.routes() {
		var chain []gin.HandlerFunc
		if rt.access != accessPublic {
			chain = append(chain, s.authenticate(rt.queryToken))
		}
		if rt.access == accessScope {
			chain = append(chain, requireScope(rt.scope))
		}
		if strings.HasPrefix(rt.path, "/apps/:app") {
			chain = append(chain, s.loadApp)
		}
		chain = append(chain, rt.handler)
		s.admin.Handle(rt.method, apiPrefix+rt.path, chain...)
	}
	return nil
}
