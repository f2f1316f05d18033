// Auditing: who recorded what, when; the server's status (verify: cmd_verify.cc).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"

namespace demarche::cli {
namespace {

struct AuditOpts {
  std::string branch, by;  // empty branch: every branch
  uint64_t from_seq = 0;
};

int RunAudit(const Globals& g, const AuditOpts& o) {
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::HistoryRequest req;
  req.set_scenario(g.scenario);
  req.set_branch(o.branch);
  req.set_recorded_by(o.by);
  req.set_from_seq(o.from_seq);
  auto reader = c.audit().History(&ctx, req);
  Table t({"SEQ", "RECORDED AT", "BY", "BRANCH", "HASH", "EVENT"});
  v1::HistoryEntry h;
  while (reader->Read(&h)) {
    if (g.json) {
      PrintJson(h);
      continue;
    }
    t.Add({fmt::format("{}", h.seq()), Time(h.recorded_at()), h.recorded_by(), h.branch(),
           Hex(h.hash(), 6), h.id()});
  }
  grpc::Status st = reader->Finish();
  if (!st.ok()) return c.Fail(st, "reading the history");
  if (!g.json) {
    fmt::print("{}", t.Render(TerminalWidth()));
    if (t.empty()) fmt::print(stderr, "no entries\n");
  }
  return kOk;
}

int RunStatus(const Globals& g) {
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::ServerStatus resp;
  grpc::Status st = c.audit().GetServerStatus(&ctx, {}, &resp);
  if (!st.ok()) return c.Fail(st, "reading the server status");
  if (g.json) {
    PrintJson(resp);
    return kOk;
  }
  fmt::print("writes: {}\n", resp.writable() ? "accepted" : resp.read_only_reason());
  if (resp.free_disk_bytes() >= 0)
    fmt::print("disk:   {:.1f} MB free, {:.1f} MB kept in reserve\n",
               static_cast<double>(resp.free_disk_bytes()) / (1 << 20),
               static_cast<double>(resp.min_free_disk_bytes()) / (1 << 20));
  return kOk;
}

}  // namespace

void AddAuditCommands(CLI::App& app, Cli& cli) {
  const Globals& g = cli.globals;

  auto ao = std::make_shared<AuditOpts>();
  auto* audit = app.add_subcommand("audit", "Who recorded each event of a branch, and when");
  audit->add_option("-b,--branch", ao->branch,
                    "Only this branch's lineage (default: every branch)");
  audit->add_option("--by", ao->by, "Only events recorded by this principal");
  audit->add_option("--from-seq", ao->from_seq, "Start at this seq");
  audit->callback([&cli, &g, ao] { cli.action = [&g, ao] { return RunAudit(g, *ao); }; });

  auto* status = app.add_subcommand(
      "status", "Whether the server accepts writes (and if not, why: a full disk), its free disk");
  status->callback([&cli, &g] { cli.action = [&g] { return RunStatus(g); }; });
}

}  // namespace demarche::cli
