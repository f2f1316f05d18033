// Replaying the record: state, timeline, diff.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <map>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/dates.h"
#include "cli/output.h"
#include "cli/render.h"

namespace demarche::cli {
namespace {

// Roster names by code, best effort: a missing name only costs a label.
std::map<std::string, std::string> PartyNames(Client& c) {
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::GetScenarioRequest req;
  req.set_name(c.scenario());
  v1::Scenario s;
  std::map<std::string, std::string> names;
  if (c.scenarios().GetScenario(&ctx, req, &s).ok()) {
    for (const auto& p : s.roster()) names[p.code()] = p.name();
  }
  return names;
}

struct StateOpts {
  std::vector<std::string> parties, fields;
  std::string as_of, branch = "main";
  uint64_t known_at = 0;
};

int RunState(const Globals& g, const StateOpts& o) {
  v1::GetStateRequest req;
  req.set_scenario(g.scenario);
  req.set_branch(o.branch);
  if (!o.as_of.empty()) *req.mutable_as_of() = DateArg(o.as_of, "--as-of");
  req.set_known_at(o.known_at);
  for (const auto& p : o.parties) req.add_parties(p);
  for (const auto& f : o.fields) req.add_fields(f);
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::ScenarioState state;
  grpc::Status st = c.replay().GetState(&ctx, req, &state);
  if (!st.ok()) return c.Fail(st, fmt::format("replaying {}", o.branch));
  if (g.json) {
    PrintJson(state);
    return kOk;
  }
  auto names = PartyNames(c);
  fmt::print("{}: {}\n", g.scenario, StateSummary(state));
  for (const auto& p : state.parties()) {
    std::string text = PartyStateText(p, names[p.party()]);
    if (text.find('\n') + 1 == text.size())
      text += o.fields.empty() ? "  (nothing recorded)\n" : "  (nothing in these lists)\n";
    fmt::print("\n{}", text);
  }
  return kOk;
}

struct TimelineOpts {
  std::string from, to, branch = "main";
  uint64_t known_at = 0;
};

int RunTimeline(const Globals& g, const TimelineOpts& o) {
  v1::TimelineRequest req;
  req.set_scenario(g.scenario);
  req.set_branch(o.branch);
  if (!o.from.empty()) *req.mutable_from() = DateArg(o.from, "--from");
  if (!o.to.empty()) *req.mutable_to() = DateArg(o.to, "--to");
  req.set_known_at(o.known_at);
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  auto reader = c.replay().Timeline(&ctx, req);
  v1::TimelineStep step;
  size_t width = TerminalWidth(), steps = 0;
  while (reader->Read(&step)) {
    ++steps;
    if (g.json) {
      PrintJson(step);
      continue;
    }
    std::string out = FixedRow(EventRow(step.event()), EventWidths(), width);
    for (const auto& ch : step.changes()) out += Indent(ChangeText(ch, true), 7);
    fmt::print("{}", out);
    std::fflush(stdout);
  }
  grpc::Status st = reader->Finish();
  if (!st.ok()) return c.Fail(st, fmt::format("replaying the timeline of {}", o.branch));
  if (steps == 0 && !g.json) fmt::print(stderr, "no events on {} between those dates\n", o.branch);
  return kOk;
}

struct DiffOpts {
  std::string branch = "main", branch_b, as_of, as_of_b;
  uint64_t known_at = 0, known_at_b = 0;
  std::vector<std::string> parties, fields;
};

int RunDiff(const Globals& g, const DiffOpts& o) {
  if (o.branch_b.empty() && o.as_of_b.empty() && o.known_at_b == 0) {
    throw CliError(kUsage, "diff needs a second side: --branch-b B, --as-of-b D or --known-at-b N");
  }
  v1::DiffRequest req;
  req.set_scenario(g.scenario);
  req.set_branch_a(o.branch);
  req.set_branch_b(o.branch_b.empty() ? o.branch : o.branch_b);
  if (!o.as_of.empty()) *req.mutable_as_of_a() = DateArg(o.as_of, "--as-of");
  if (!o.as_of_b.empty()) {
    *req.mutable_as_of_b() = DateArg(o.as_of_b, "--as-of-b");
  } else if (!o.as_of.empty()) {
    *req.mutable_as_of_b() = req.as_of_a();
  }
  req.set_known_at_a(o.known_at);
  req.set_known_at_b(o.known_at_b);
  for (const auto& p : o.parties) req.add_parties(p);
  for (const auto& f : o.fields) req.add_fields(f);
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::StateDiff diff;
  grpc::Status st = c.replay().Diff(&ctx, req, &diff);
  if (!st.ok()) return c.Fail(st, "diffing");
  if (g.json) {
    PrintJson(diff);
    return kOk;
  }
  fmt::print("a: {}\nb: {}\n", StateSummary(diff.a()), StateSummary(diff.b()));
  std::string party;
  for (const auto& ch : diff.changes()) {
    if (ch.party() != party) fmt::print("\n{}\n", party = ch.party());
    fmt::print("{}", Indent(ChangeText(ch, false), 2));
  }
  if (diff.changes_size() == 0) fmt::print("\nno differences\n");
  return kOk;
}

}  // namespace

void AddReplayCommands(CLI::App& app, Cli& cli) {
  const Globals& g = cli.globals;

  auto so = std::make_shared<StateOpts>();
  auto* state = app.add_subcommand("state",
                                   "Each party's state as of a date: positions, demands, "
                                   "proposals, agreements, aid, sanctions, relations, forums");
  state->add_option("party", so->parties, "Party codes (default: all)");
  state->add_option("-d,--as-of", so->as_of,
                    "What had happened by this date (YYYY[-MM[-DD]]; default: everything)");
  state->add_option("--known-at", so->known_at, "As the ledger knew it at this seq");
  state->add_option("-b,--branch", so->branch, "Branch to replay")->capture_default_str();
  state
      ->add_option("-f,--fields", so->fields,
                   "Only these lists, comma-separated (positions, demands_made, relations, ...)")
      ->delimiter(',');
  state->callback([&cli, &g, so] { cli.action = [&g, so] { return RunState(g, *so); }; });

  auto to = std::make_shared<TimelineOpts>();
  auto* tl = app.add_subcommand("timeline", "Each event between two dates and what it changed");
  tl->add_option("--from", to->from, "First date (YYYY[-MM[-DD]])");
  tl->add_option("--to", to->to, "Last date");
  tl->add_option("-b,--branch", to->branch, "Branch to replay")->capture_default_str();
  tl->add_option("--known-at", to->known_at, "As the ledger knew it at this seq");
  tl->callback([&cli, &g, to] { cli.action = [&g, to] { return RunTimeline(g, *to); }; });

  auto d = std::make_shared<DiffOpts>();
  auto* diff = app.add_subcommand(
      "diff", "Differences per party: two branches at a date, or one branch at two dates");
  diff->add_option("-b,--branch", d->branch, "First branch (a)")->capture_default_str();
  diff->add_option("--branch-b", d->branch_b, "Second branch (b; default: the first)");
  diff->add_option("-d,--as-of", d->as_of, "Date for a (and b unless --as-of-b)");
  diff->add_option("--as-of-b", d->as_of_b, "Date for b");
  diff->add_option("--known-at", d->known_at, "a as known at this seq");
  diff->add_option("--known-at-b", d->known_at_b, "b as known at this seq");
  diff->add_option("-p,--party", d->parties, "Only these parties (repeatable)");
  diff->add_option("-f,--fields", d->fields, "Only these lists, comma-separated")->delimiter(',');
  diff->callback([&cli, &g, d] { cli.action = [&g, d] { return RunDiff(g, *d); }; });
}

}  // namespace demarche::cli
