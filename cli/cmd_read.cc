// Reading the record: scenarios, log, show, export, subscribe/follow.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <thread>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/dates.h"
#include "cli/output.h"
#include "cli/prove.h"
#include "cli/render.h"

namespace demarche::cli {
namespace {

int RunScenarios(const Globals& g) {
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::ListScenariosResponse resp;
  grpc::Status st = c.scenarios().ListScenarios(&ctx, v1::ListScenariosRequest(), &resp);
  if (!st.ok()) return c.Fail(st, "listing scenarios");
  if (g.json) {
    PrintJson(resp);
    return kOk;
  }
  Table t({"NAME", "PARTIES", "TITLE"});
  for (const auto& s : resp.scenarios()) {
    std::vector<std::string> codes;
    for (const auto& p : s.roster()) codes.push_back(p.code());
    t.Add({s.name(), fmt::format("{}", fmt::join(codes, ",")), s.title()});
  }
  fmt::print("{}", t.Render(TerminalWidth()));
  if (t.empty()) fmt::print(stderr, "no scenarios: start demarched with --load-bundled\n");
  return kOk;
}

struct LogOpts {
  std::string branch = "main";
  std::vector<std::string> parties, types;
  std::string from, to;
  bool reverse = false, by_date = false;
  uint32_t limit = 0;
  uint64_t known_at = 0;
  bool prove = false;
  std::string trust_dir;
};

// Streams Read into `each`; returns the exit code.
template <typename Each>
int ReadEvents(Client& c, const v1::ReadRequest& req, bool open_ended, Each each) {
  grpc::ClientContext ctx;
  c.Prepare(ctx, open_ended);
  auto reader = c.ledger().Read(&ctx, req);
  v1::Event e;
  while (reader->Read(&e)) each(e);
  grpc::Status st = reader->Finish();
  if (!st.ok()) return c.Fail(st, fmt::format("reading branch {}", req.branch()));
  return kOk;
}

int RunLog(const Globals& g, const LogOpts& o) {
  v1::ReadRequest req;
  req.set_scenario(g.scenario);
  req.set_branch(o.branch);
  req.set_order(o.reverse   ? v1::READ_ORDER_SEQ_REVERSE
                : o.by_date ? v1::READ_ORDER_OCCURRED
                            : v1::READ_ORDER_SEQ);
  if (!o.from.empty()) *req.mutable_from_date() = DateArg(o.from, "--from");
  if (!o.to.empty()) *req.mutable_to_date() = DateArg(o.to, "--to");
  for (const auto& p : o.parties) req.add_parties(p);
  for (const auto& t : o.types) req.add_move_types(t);
  req.set_limit(o.limit);
  req.set_known_at(o.known_at);
  Client c(g);
  Table t(EventHeaders());
  std::vector<v1::Event> shown;
  int rc = ReadEvents(c, req, false, [&](const v1::Event& e) {
    if (g.json) {
      PrintJson(e);
    } else {
      t.Add(EventRow(e));
    }
    if (o.prove) shown.push_back(e);
  });
  if (rc != kOk) return rc;
  if (!g.json) {
    if (t.empty()) {
      fmt::print(stderr, "no events on {} match\n", o.branch);
    } else {
      fmt::print("{}", t.Render(TerminalWidth()));
    }
  }
  return o.prove && !shown.empty() ? ProveShown(c, o.branch, shown, o.trust_dir) : kOk;
}

struct ShowOpts {
  std::string key, branch = "main";
  bool by_id = false;
  bool prove = false;
  std::string trust_dir;
};

int RunShow(const Globals& g, const ShowOpts& o) {
  v1::GetEventRequest req;
  req.set_scenario(g.scenario);
  req.set_branch(o.branch);
  bool digits = !o.key.empty() && o.key.find_first_not_of("0123456789") == std::string::npos;
  if (digits && !o.by_id) {
    req.set_seq(std::stoull(o.key));
  } else {
    req.set_id(o.key);
  }
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::Event e;
  grpc::Status st = c.ledger().GetEvent(&ctx, req, &e);
  if (!st.ok()) return c.Fail(st, fmt::format("getting event {} on {}", o.key, o.branch));
  if (g.json) {
    PrintJson(e);
  } else {
    fmt::print("{}", EventDetail(e));
  }
  return o.prove ? ProveShown(c, o.branch, {e}, o.trust_dir) : kOk;
}

struct ExportOpts {
  std::string branch = "main";
  bool branch_given = false;
  uint64_t known_at = 0;
  std::string bundle, trust_dir;
};

int RunExport(const Globals& g, const ExportOpts& o) {
  if (!o.bundle.empty())
    return RunExportBundle(g, o.branch_given ? o.branch : "", o.bundle, o.trust_dir);
  v1::ReadRequest req;
  req.set_scenario(g.scenario);
  req.set_branch(o.branch);
  req.set_known_at(o.known_at);
  Client c(g);
  // Always JSON Lines: the format `import` reads back.
  return ReadEvents(c, req, true, [](const v1::Event& e) { PrintJson(e); });
}

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void OnInterrupt(int) { g_interrupted = 1; }

struct SubscribeOpts {
  std::string branch = "main";
  uint64_t after_seq = 0;
};

int RunSubscribe(const Globals& g, const SubscribeOpts& o) {
  v1::SubscribeRequest req;
  req.set_scenario(g.scenario);
  req.set_branch(o.branch);
  req.set_after_seq(o.after_seq);
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx, true);
  // Ctrl-C cancels the call (a signal handler may not call gRPC, so a watcher
  // thread does) and ends the command normally.
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      if (g_interrupted) {
        ctx.TryCancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto reader = c.ledger().Subscribe(&ctx, req);
  size_t width = TerminalWidth();
  if (!g.json) fmt::print("{}", FixedRow(EventHeaders(), EventWidths(), width));
  std::fflush(stdout);
  v1::Event e;
  uint64_t last_seq = o.after_seq;
  while (reader->Read(&e)) {
    last_seq = e.seq();
    if (g.json) {
      PrintJson(e);
    } else {
      fmt::print("{}", FixedRow(EventRow(e), EventWidths(), width));
      std::fflush(stdout);
    }
  }
  grpc::Status st = reader->Finish();
  done = true;
  watcher.join();
  if (g_interrupted) return kOk;
  if (!st.ok()) {
    int rc = c.Fail(st, fmt::format("following branch {}", o.branch));
    if (rc == kUnavailable && last_seq > 0) {
      fmt::print(stderr, "  resume with: demarche follow --branch {} --after-seq {}\n", o.branch,
                 last_seq);
    }
    return rc;
  }
  return kOk;
}

}  // namespace

void AddReadCommands(CLI::App& app, Cli& cli) {
  const Globals& g = cli.globals;

  auto* scenarios = app.add_subcommand("scenarios", "List the scenarios the server holds");
  scenarios->callback([&cli, &g] { cli.action = [&g] { return RunScenarios(g); }; });

  auto log_o = std::make_shared<LogOpts>();
  auto* log =
      app.add_subcommand("log", "A branch's events (table: seq, date, parties, type, summary)");
  log->add_option("-b,--branch", log_o->branch, "Branch to read")->capture_default_str();
  log->add_option("-p,--party", log_o->parties,
                  "Only events where this party acts or is addressed (repeatable)");
  log->add_option("-t,--type", log_o->types,
                  "Only this move type: statement, demand, proposal, response, agreement, consult, "
                  "aid, concede, sanction, forum, conflict, correction (repeatable)");
  log->add_option("--from", log_o->from, "Occurred on or after this date (YYYY[-MM[-DD]])");
  log->add_option("--to", log_o->to, "Occurred on or before this date");
  log->add_flag("-r,--reverse", log_o->reverse, "Newest first (by seq)");
  log->add_flag("--by-date", log_o->by_date, "Order by date occurred, then seq");
  log->add_option("-n,--limit", log_o->limit, "At most this many events");
  log->add_option("--known-at", log_o->known_at, "Only events recorded up to this seq");
  log->add_flag("--prove", log_o->prove,
                "Prove each event shown is in the branch's tree signed by a pinned key");
  AddTrustDirOption(log, &log_o->trust_dir);
  log->callback([&cli, &g, log_o] { cli.action = [&g, log_o] { return RunLog(g, *log_o); }; });

  auto show_o = std::make_shared<ShowOpts>();
  auto* show = app.add_subcommand("show", "One event in full: move, sources, envelope");
  show->add_option("event", show_o->key, "Seq number or event id")->required();
  show->add_option("-b,--branch", show_o->branch, "Branch to look in")->capture_default_str();
  show->add_flag("--id", show_o->by_id, "Treat an all-digit argument as an event id");
  show->add_flag("--prove", show_o->prove,
                 "Prove the event is in the branch's tree signed by a pinned key");
  AddTrustDirOption(show, &show_o->trust_dir);
  show->callback([&cli, &g, show_o] { cli.action = [&g, show_o] { return RunShow(g, *show_o); }; });

  auto exp_o = std::make_shared<ExportOpts>();
  auto* exp = app.add_subcommand(
      "export", "A branch's events as JSON Lines on stdout, or an audit bundle (--bundle)");
  auto* exp_branch =
      exp->add_option("-b,--branch", exp_o->branch, "Branch to export")->capture_default_str();
  exp->add_option("--known-at", exp_o->known_at, "Only events recorded up to this seq");
  exp->add_option("--bundle", exp_o->bundle,
                  "Write an audit bundle to this file instead: the stored events, signed "
                  "checkpoints and verifier key of --branch and its ancestors (default: every "
                  "branch), for verify-bundle")
      ->excludes("--known-at");
  AddTrustDirOption(exp, &exp_o->trust_dir);
  exp->callback([&cli, &g, exp_o, exp_branch] {
    exp_o->branch_given = exp_branch->count() > 0;
    cli.action = [&g, exp_o] { return RunExport(g, *exp_o); };
  });

  auto sub_o = std::make_shared<SubscribeOpts>();
  auto* sub = app.add_subcommand("subscribe",
                                 "Print a branch's events, then each new one live, until Ctrl-C");
  sub->alias("follow");
  sub->add_option("-b,--branch", sub_o->branch, "Branch to follow")->capture_default_str();
  sub->add_option("--after-seq", sub_o->after_seq, "Resume after this seq (0 = from the start)");
  sub->callback(
      [&cli, &g, sub_o] { cli.action = [&g, sub_o] { return RunSubscribe(g, *sub_o); }; });
}

}  // namespace demarche::cli
