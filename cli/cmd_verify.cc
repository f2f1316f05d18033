// verify and trust: the server's own walk of its hash chains, then the
// client's check of what it can prove without trusting the server: each
// branch's checkpoint signed by a pinned key, consistent with every
// checkpoint of that log seen before, and each fork's tree an extension of
// its parent's at the fork point.
#include <functional>
#include <map>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "cli/trust.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"

namespace demarche::cli {
namespace {

// A checkpoint that failed a check: why, for the user.
struct Refused {
  std::string reason;
};

std::vector<std::string> Hashes(const google::protobuf::RepeatedPtrField<std::string>& h) {
  return {h.begin(), h.end()};
}

class CheckpointChecker {
 public:
  CheckpointChecker(Client& c, std::vector<tlog::Verifier> keys,
                    std::map<std::string, SeenCheckpoint> seen)
      : c_(c), keys_(std::move(keys)), seen_(std::move(seen)) {}

  struct Checked {
    tlog::Checkpoint cp;
    std::string signer, since_seen, fork;
  };

  // The branch's checkpoint, signed by a pinned key and consistent with the
  // one seen before; throws Refused.
  Checked Check(const v1::Branch& b) {
    v1::GetCheckpointRequest req;
    req.set_scenario(c_.scenario());
    req.set_branch(b.name());
    v1::Checkpoint resp;
    grpc::ClientContext ctx;
    c_.Prepare(ctx);
    if (grpc::Status st = c_.audit().GetCheckpoint(&ctx, req, &resp); !st.ok())
      throw Refused{fmt::format("GetCheckpoint: {}", st.error_message())};
    auto opened = tlog::OpenNote(resp.note(), keys_);
    if (!opened.ok()) throw Refused{std::string(opened.status().message())};
    auto cp = tlog::ParseCheckpoint(opened->text);
    if (!cp.ok()) throw Refused{std::string(cp.status().message())};
    Checked out{*std::move(cp), opened->verified[0].name, "", ""};
    const std::string origin = tlog::BranchOrigin(out.signer, c_.scenario(), b.name());
    if (out.cp.origin != origin)
      throw Refused{fmt::format("the checkpoint is of \"{}\", not \"{}\"", out.cp.origin, origin)};
    out.since_seen = SinceSeen(b.name(), out.cp);
    return out;
  }

  // A fork's tree at its fork point is its parent's: one claimed root, two
  // proofs to the two signed roots.
  std::string CheckFork(const v1::Branch& b, const tlog::Checkpoint& cp,
                        const tlog::Checkpoint& parent) {
    const uint64_t f = b.fork_after_seq();
    if (f == 0) return fmt::format("from {} (empty)", b.parent());
    std::string claimed;
    Extends(b.name(), f, cp, &claimed);
    Extends(b.parent(), f, parent, &claimed);
    return fmt::format("extends {} at {}", b.parent(), f);
  }

  std::map<std::string, SeenCheckpoint>& seen() { return seen_; }

 private:
  // Proves `cp` extends the tree of `size1` leaves whose root is *root1
  // (taken from the server when empty, then held to it).
  void Extends(const std::string& branch, uint64_t size1, const tlog::Checkpoint& cp,
               std::string* root1) {
    v1::ConsistencyProof proof;
    if (size1 == cp.size) {
      proof.set_root1(cp.root);
    } else {
      v1::GetConsistencyProofRequest req;
      req.set_scenario(c_.scenario());
      req.set_branch(branch);
      req.set_size1(size1);
      req.set_size2(cp.size);
      grpc::ClientContext ctx;
      c_.Prepare(ctx);
      if (grpc::Status st = c_.audit().GetConsistencyProof(&ctx, req, &proof); !st.ok())
        throw Refused{fmt::format("GetConsistencyProof: {}", st.error_message())};
    }
    if (root1->empty()) *root1 = proof.root1();
    if (size1 == cp.size
            ? cp.root != *root1
            : !tlog::VerifyConsistency(size1, cp.size, Hashes(proof.hashes()), *root1, cp.root)
                   .ok())
      throw Refused{fmt::format(
          "branch {}'s checkpoint of size {} does not extend the tree of size {} it should "
          "share: history was rewritten",
          branch, cp.size, size1)};
  }

  std::string SinceSeen(const std::string& branch, const tlog::Checkpoint& cp) {
    auto it = seen_.find(cp.origin);
    if (it == seen_.end() || it->second.size == 0) {
      seen_[cp.origin] = {cp.size, cp.root};
      return "first seen";
    }
    const SeenCheckpoint before = it->second;
    if (cp.size < before.size)
      throw Refused{fmt::format(
          "the server's checkpoint of size {} is older than the one of size {} seen before "
          "(a log never shrinks): history was rewritten or rolled back",
          cp.size, before.size)};
    std::string root1 = before.root;
    Extends(branch, before.size, cp, &root1);
    seen_[cp.origin] = {cp.size, cp.root};
    return cp.size == before.size ? "same as seen before"
                                  : fmt::format("extends the {} seen before", before.size);
  }

  Client& c_;
  std::vector<tlog::Verifier> keys_;
  std::map<std::string, SeenCheckpoint> seen_;
};

// The branches to check: one and its ancestors, or all; parents first.
std::vector<v1::Branch> BranchesToCheck(Client& c, const std::string& branch) {
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  v1::ListBranchesRequest req;
  req.set_scenario(c.scenario());
  v1::ListBranchesResponse resp;
  if (grpc::Status st = c.branches().ListBranches(&ctx, req, &resp); !st.ok())
    throw CliError(ExitCodeFor(st.error_code()),
                   fmt::format("listing branches: {}", st.error_message()));
  std::map<std::string, v1::Branch> by_name;
  for (const v1::Branch& b : resp.branches()) by_name[b.name()] = b;
  std::vector<v1::Branch> out;
  std::map<std::string, bool> added;
  std::function<void(const std::string&)> add = [&](const std::string& name) {
    auto it = by_name.find(name);
    if (it == by_name.end() || added[name]) return;
    if (!it->second.parent().empty()) add(it->second.parent());
    added[name] = true;
    out.push_back(it->second);
  };
  if (!branch.empty()) {
    if (!by_name.contains(branch))
      throw CliError(kNotFound, fmt::format("no branch \"{}\"", branch));
    add(branch);
  } else {
    for (const v1::Branch& b : resp.branches()) add(b.name());
  }
  return out;
}

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
    for (const v1::Branch& b : BranchesToCheck(c, branch)) {
      CheckpointChecker::Checked r = checker.Check(b);
      if (!b.parent().empty()) r.fork = checker.CheckFork(b, r.cp, verified.at(b.parent()));
      t.Add({b.name(), fmt::format("{}", r.cp.size), Hex(r.cp.root, 6), r.signer, r.since_seen,
             r.fork});
      verified[b.name()] = r.cp;
    }
  } catch (const Refused& r) {
    if (!g.json) fmt::print("{}", t.Render(TerminalWidth()));
    fmt::print(stderr, "checkpoint verification FAILED: {}\n", r.reason);
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

void AddVerifyCommands(CLI::App& app, Cli& cli) {
  const Globals& g = cli.globals;
  auto trust_dir = std::make_shared<std::string>();
  auto branch = std::make_shared<std::string>();
  auto* verify = app.add_subcommand(
      "verify",
      "Walk the hash chains on the server; then check each branch's signed checkpoint against "
      "the pinned keys and every checkpoint seen before (exit 1 if anything fails)");
  verify->add_option("-b,--branch", *branch, "Only this branch (and its ancestors' checkpoints)");
  verify
      ->add_option("--trust-dir", *trust_dir,
                   "Pinned keys and seen checkpoints (default ~/.config/demarche)")
      ->envname("DEMARCHE_TRUST_DIR");
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
  add->add_option("--trust-dir", *trust_dir, "Where to keep it (default ~/.config/demarche)")
      ->envname("DEMARCHE_TRUST_DIR");
  add->callback([&cli, &g, key, from_server, trust_dir] {
    if (key->empty() == !*from_server)
      throw CLI::ValidationError("trust add", "give either KEY or --from-server");
    cli.action = [&g, key, from_server, trust_dir] {
      return RunTrustAdd(g, *key, *from_server, *trust_dir);
    };
  });
}

}  // namespace demarche::cli
