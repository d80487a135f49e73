package main

import (
	"strconv"
	"strings"
	"testing"
)

// The events commands against a real picloud serve: its dispatcher runs
// what publish and queue push enqueue, kv reads and edits what the
// scripts see, and deliveries lists, retries and discards dead letters.
func TestCLIEvents(t *testing.T) {
	e := newCLIEnv(t)
	e.ok("apps", "create", "shop")
	e.ok("deploy", "shop", writeFile(t, "onorder.rhai", `kv::set("order:" + ctx.event.pubsub.message.id, ctx.event.pubsub.topic);`))
	e.ok("triggers", "add", "shop", "pubsub", "--script", "onorder", "--pattern", "orders.*")
	e.ok("deploy", "shop", writeFile(t, "work.rhai", `if kv::get("fixed") == () { throw "not yet" } kv::set("done", ctx.event.queue.payload);`))
	e.ok("triggers", "add", "shop", "queue", "--script", "work", "--queue", "jobs", "--max-attempts", "1")

	if out := e.ok("publish", "shop", "orders.created", `{"id": 7}`); !strings.HasSuffix(out, "to orders.created: 1 deliveries\n") {
		t.Fatalf("publish: %q", out)
	}
	eventually(t, "the subscriber ran", func() bool {
		out, _, err := e.run("kv", "get", "shop", "order:7")
		return err == nil && out == "\"orders.created\"\n"
	})
	if out := e.ok("publish", "shop", "users.created", `1`); !strings.HasSuffix(out, ": 0 deliveries\n") {
		t.Fatalf("publish without subscriber: %q", out)
	}
	e.fails(2, "JSON \"{oops\" is not JSON", "publish", "shop", "orders.x", "{oops")
	e.fails(1, "invalid_topic: invalid topic", "publish", "shop", "Orders", "1")

	// A message that fails its only attempt is dead-lettered.
	if out := e.ok("queue", "push", "shop", "jobs", `"p1"`); !strings.Contains(out, "as delivery ") {
		t.Fatalf("queue push: %q", out)
	}
	var deadID string
	eventually(t, "the dead letter", func() bool {
		out := e.ok("deliveries", "list", "shop", "--state", "dead")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) == 2 && strings.Contains(lines[1], " dead ") && strings.Contains(lines[1], "not yet") {
			deadID = strings.Fields(lines[1])[0]
			return true
		}
		return false
	})
	e.ok("kv", "set", "shop", "fixed", "true")
	if out := e.ok("deliveries", "retry", "shop", deadID); !strings.HasPrefix(out, "replayed "+deadID+" as delivery ") {
		t.Fatalf("retry: %q", out)
	}
	eventually(t, "the replayed delivery ran", func() bool {
		out, _, err := e.run("kv", "get", "shop", "done")
		return err == nil && out == "\"p1\"\n"
	})

	// A delayed message waits in the outbox; discard drops it.
	out := e.ok("queue", "push", "shop", "jobs", `"later"`, "--delay", "1h")
	if !strings.Contains(out, ", due ") {
		t.Fatalf("delayed push: %q", out)
	}
	id := strings.Fields(strings.SplitAfter(out, "as delivery ")[1])[0]
	id = strings.TrimSuffix(id, ",")
	if _, err := strconv.Atoi(id); err != nil {
		t.Fatalf("push printed %q", out)
	}
	if list := e.ok("deliveries", "list", "shop", "--state", "pending"); !strings.Contains(list, id+" ") {
		t.Fatalf("deliveries list:\n%s", list)
	}
	e.ok("deliveries", "discard", "shop", id)
	e.fails(1, "delivery_not_found", "deliveries", "discard", "shop", id)

	// kv list, keys with slashes, del.
	e.ok("kv", "set", "shop", "user/1", `{"n": 1}`)
	if out := e.ok("kv", "list", "shop", "user/"); !strings.Contains(out, "user/1") || !strings.Contains(out, `{"n":1}`) {
		t.Fatalf("kv list:\n%s", out)
	}
	e.ok("kv", "del", "shop", "user/1")
	e.fails(1, "kv_key_not_found", "kv", "get", "shop", "user/1")
	keys := jsonOf[[]map[string]any](t, e.ok("kv", "list", "shop", "--json"))
	if len(keys) != 3 { // done, fixed, order:7
		t.Fatalf("kv list --json: %v", keys)
	}
}
