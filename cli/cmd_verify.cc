// verify and trust: the server's own walk of its hash chains, then the
// client's check of what it can prove without trusting the server: each
// branch's checkpoint signed by a pinned key, consistent with every
// checkpoint of that log seen before, and each fork's tree an extension of
// its parent's at the fork point.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/checkpoint_check.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"

namespace demarche::cli {
namespace {

// Exit code of the checkpoint checks; prints a table.
int CheckCheckpoints(const Globals& g, Client& c, const std::string& branch,
                     const std::string& trust_dir) {
  TrustStore trust(trust_dir);
  std::vector<tlog::Verifier> keys = trust.Keys();
  if (keys.empty()) {
    fmt::print(stderr,
               "checkpoints not checked: no trusted key in {} (pin the server's with `demarche "
               "trust add KEY`, or `--from-server` on first contact)\n",
               trust.dir());
    return kOk;
  }
  CheckpointChecker checker(c, std::move(keys), trust.Seen());
  Table t({"BRANCH", "CHECKPOINT", "ROOT", "SIGNED BY", "SINCE LAST SEEN", "FORK"});
  std::map<std::string, tlog::Checkpoint> verified;
  try {
    for (const v1::Branch& b : LineagesToCheck(c, branch)) {
      CheckpointChecker::Checked r = checker.Check(b.name());
      if (!b.parent().empty()) r.fork = checker.CheckFork(b, r.cp, verified.at(b.parent()));
      t.Add({b.name(), fmt::format("{}", r.cp.size), Hex(r.cp.root, 6), r.signer, r.since_seen,
             r.fork});
      verified[b.name()] = r.cp;
    }
  } catch (const Refused& r) {
    if (!g.json) fmt::print("{}", t.Render(TerminalWidth()));
    fmt::print(stderr, "checkpoint verification FAILED: {}\n", r.what());
    return kOther;
  }
  trust.SaveSeen(checker.seen());
  if (!g.json) {
    fmt::print("{}", t.Render(TerminalWidth()));
    fmt::print("checkpoints signed by a trusted key, consistent with every one seen before\n");
  }
  return kOk;
}

int RunVerify(const Globals& g, const std::string& branch, const std::string& trust_dir) {
  Client c(g);
  grpc::ClientContext ctx;
  c.Prepare(ctx, true);  // a long chain takes as long as it takes
  v1::VerifyRequest req;
  req.set_scenario(g.scenario);
  req.set_branch(branch);
  v1::VerifyResponse resp;
  grpc::Status st = c.audit().Verify(&ctx, req, &resp);
  if (!st.ok()) return c.Fail(st, "verifying");
  if (g.json) {
    PrintJson(resp);
  } else {
    Table t({"BRANCH", "CHAIN", "CHECKED", "FIRST BAD SEQ", "REASON"});
    for (const auto& b : resp.branches()) {
      t.Add({b.branch(), b.ok() ? "ok" : "BROKEN", fmt::format("{}", b.checked()),
             b.ok() ? "" : fmt::format("{}", b.first_bad_seq()), b.reason()});
    }
    fmt::print("{}", t.Render(TerminalWidth()));
    fmt::print("{}\n", resp.ok() ? "every hash and link checks out"
                                 : "verification FAILED: the events named above were altered");
  }
  const int checkpoints = CheckCheckpoints(g, c, branch, trust_dir);
  return !resp.ok() ? kOther : checkpoints;
}

int RunTrustAdd(const Globals& g, const std::string& key, bool from_server,
                const std::string& trust_dir) {
  std::string text = key;
  if (from_server) {
    Client c(g);
    grpc::ClientContext ctx;
    c.Prepare(ctx);
    v1::GetCheckpointRequest req;
    req.set_scenario(g.scenario);
    req.set_branch("main");
    v1::Checkpoint resp;
    if (grpc::Status st = c.audit().GetCheckpoint(&ctx, req, &resp); !st.ok())
      return c.Fail(st, "reading the server's verifier key");
    text = resp.verifier_key();
  }
  auto v = tlog::Verifier::FromKey(text);
  if (!v.ok()) throw CliError(kRefused, std::string(v.status().message()));
  TrustStore trust(trust_dir);
  const bool added = trust.AddKey(*v);
  fmt::print("{} {}\n", added ? "trusted" : "already trusted", v->Key());
  if (from_server)
    fmt::print(stderr,
               "taken from the server on trust: compare it with the key its operator publishes\n");
  return kOk;
}

}  // namespace

void AddTrustDirOption(CLI::App* command, std::string* dir) {
  command
      ->add_option("--trust-dir", *dir,
                   "Pinned keys and seen checkpoints (default ~/.config/demarche)")
      ->envname("DEMARCHE_TRUST_DIR");
}

void AddVerifyCommands(CLI::App& app, Cli& cli) {
  const Globals& g = cli.globals;
  auto trust_dir = std::make_shared<std::string>();
  auto branch = std::make_shared<std::string>();
  auto* verify = app.add_subcommand(
      "verify",
      "Walk the hash chains on the server; then check each branch's signed checkpoint against "
      "the pinned keys and every checkpoint seen before (exit 1 if anything fails)");
  verify->add_option("-b,--branch", *branch, "Only this branch (and its ancestors' checkpoints)");
  AddTrustDirOption(verify, trust_dir.get());
  verify->callback([&cli, &g, branch, trust_dir] {
    cli.action = [&g, branch, trust_dir] { return RunVerify(g, *branch, *trust_dir); };
  });

  auto* trust = app.add_subcommand("trust",
                                   "Pin the verifier keys of servers whose checkpoints "
                                   "verify checks");
  trust->require_subcommand(1);
  auto key = std::make_shared<std::string>();
  auto from_server = std::make_shared<bool>(false);
  auto* add = trust->add_subcommand("add", "Pin a verifier key (<name>+<key id>+<base64 key>)");
  add->add_option("KEY", *key, "The key, as `demarched` logs it at start (verifier_key=...)");
  add->add_flag("--from-server", *from_server,
                "Take the key the server presents (trust on first use)");
  AddTrustDirOption(add, trust_dir.get());
  add->callback([&cli, &g, key, from_server, trust_dir] {
    if (key->empty() == !*from_server)
      throw CLI::ValidationError("trust add", "give either KEY or --from-server");
    cli.action = [&g, key, from_server, trust_dir] {
      return RunTrustAdd(g, *key, *from_server, *trust_dir);
    };
  });
}

}  // namespace demarche::cli
