// Counterfactual branches: branch create / list / compare.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/dates.h"
#include "cli/output.h"
#include "cli/render.h"

namespace demarche::cli {
namespace {

struct CreateOpts {
  std::string name, parent = "main", after_event, cutoff, description;
  uint64_t after_seq = 0;
  bool has_after_seq = false;
};

std::string ForkText(const v1::Branch& b) {
  if (b.parent().empty()) return "";
  std::string s = fmt::format("{}@{}", b.parent(), b.fork_after_seq());
  if (b.date_cutoff().year() != 0) s += " ≤" + FormatDate(b.date_cutoff());
  return s;
}

int RunCreate(const Globals& g, const CreateOpts& o) {
  v1::CreateBranchRequest req;
  req.set_scenario(g.scenario);
  req.set_name(o.name);
  req.set_parent(o.parent);
  req.set_description(o.description);
  if (!o.cutoff.empty()) *req.mutable_date_cutoff() = DateArg(o.cutoff, "--cutoff");
  if (o.has_after_seq) {
    req.set_after_seq(o.after_seq);
  } else if (!o.after_event.empty()) {
    req.set_after_event(o.after_event);
  }  // else: the server forks at the parent's head, like `git branch`
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::Branch b;
  grpc::Status st = c.branches().CreateBranch(&ctx, req, &b);
  if (!st.ok()) return c.Fail(st, fmt::format("creating branch {}", o.name));
  if (g.json) {
    PrintJson(b);
    return kOk;
  }
  fmt::print("created branch {} from {} after seq {}", b.name(), b.parent(), b.fork_after_seq());
  if (b.date_cutoff().year() != 0)
    fmt::print(", inheriting events up to {}", FormatDate(b.date_cutoff()));
  fmt::print("\nnext: demarche append --branch {} moves.json\n", b.name());
  return kOk;
}

void AddTree(const v1::BranchNode& node, const std::string& lead, const std::string& branch_mark,
             Table* t) {
  const v1::Branch& b = node.branch();
  t->Add({lead + branch_mark + b.name(), ForkText(b), fmt::format("{}", b.head_seq()), b.owner(),
          b.description()});
  for (int i = 0; i < node.children_size(); ++i) {
    bool last = i + 1 == node.children_size();
    std::string next_lead = lead;
    if (!branch_mark.empty()) next_lead += branch_mark == "└─ " ? "   " : "│  ";
    AddTree(node.children(i), next_lead, last ? "└─ " : "├─ ", t);
  }
}

int RunList(const Globals& g) {
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::ListBranchesRequest req;
  req.set_scenario(g.scenario);
  v1::ListBranchesResponse resp;
  grpc::Status st = c.branches().ListBranches(&ctx, req, &resp);
  if (!st.ok()) return c.Fail(st, "listing branches");
  if (g.json) {
    PrintJson(resp);
    return kOk;
  }
  Table t({"BRANCH", "FORK", "HEAD", "OWNER", "DESCRIPTION"});
  if (resp.has_root()) {
    AddTree(resp.root(), "", "", &t);
  } else {
    for (const auto& b : resp.branches()) {
      t.Add({b.name(), ForkText(b), fmt::format("{}", b.head_seq()), b.owner(), b.description()});
    }
  }
  fmt::print("{}", t.Render(TerminalWidth()));
  return kOk;
}

int RunCompare(const Globals& g, const std::string& a, const std::string& b) {
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::CompareBranchesRequest req;
  req.set_scenario(g.scenario);
  req.set_a(a);
  req.set_b(b);
  v1::CompareBranchesResponse resp;
  grpc::Status st = c.branches().CompareBranches(&ctx, req, &resp);
  if (!st.ok()) return c.Fail(st, fmt::format("comparing {} and {}", a, b));
  if (g.json) {
    PrintJson(resp);
    return kOk;
  }
  fmt::print("common ancestor: {} at seq {}\n", resp.common_ancestor(), resp.common_seq());
  auto side = [&](const std::string& name, const auto& events) {
    fmt::print("\nonly on {} ({} event{})\n", name, events.size(), events.size() == 1 ? "" : "s");
    if (events.empty()) return;
    Table t(EventHeaders());
    for (const auto& e : events) t.Add(EventRow(e));
    fmt::print("{}", Indent(t.Render(TerminalWidth() ? TerminalWidth() - 2 : 0), 2));
  };
  side(a, resp.only_a());
  side(b, resp.only_b());
  return kOk;
}

}  // namespace

void AddBranchCommands(CLI::App& app, Cli& cli) {
  const Globals& g = cli.globals;
  auto* branch = app.add_subcommand("branch", "Counterfactual branches: create, list, compare");
  branch->require_subcommand(1);

  auto co = std::make_shared<CreateOpts>();
  auto* create = branch->add_subcommand(
      "create", "Fork a branch from a parent after a seq or an event (O(1))");
  create->add_option("name", co->name, "New branch name ([a-z0-9][a-z0-9._-]*)")->required();
  create->add_option("--from", co->parent, "Parent branch")->capture_default_str();
  auto* seq =
      create->add_option("--after-seq", co->after_seq,
                         "Inherit the parent's events 1..N (default: fork at the parent's head)");
  auto* ev = create->add_option("--after-event", co->after_event,
                                "Fork right after this event id of the parent");
  seq->excludes(ev);
  create->add_option("--cutoff", co->cutoff,
                     "Inherit only events that occurred on or before this date");
  create->add_option("-m,--description", co->description, "The premise of the counterfactual");
  create->callback([&cli, &g, co, seq] {
    co->has_after_seq = seq->count() > 0;
    cli.action = [&g, co] { return RunCreate(g, *co); };
  });

  auto* list = branch->add_subcommand("list", "All branches of the scenario as a tree");
  list->alias("ls");
  list->callback([&cli, &g] { cli.action = [&g] { return RunList(g); }; });

  auto names = std::make_shared<std::pair<std::string, std::string>>();
  auto* cmp = branch->add_subcommand("compare", "Each side's events since the common ancestor");
  cmp->add_option("a", names->first, "First branch")->required();
  cmp->add_option("b", names->second, "Second branch")->required();
  cmp->callback([&cli, &g, names] {
    cli.action = [&g, names] { return RunCompare(g, names->first, names->second); };
  });
}

}  // namespace demarche::cli
