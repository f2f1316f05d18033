// export --bundle and verify-bundle: an auditor's offline copy of branch
// lineages and its check with no server (cli/audit_bundle.h).
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/audit_bundle.h"
#include "cli/checkpoint_check.h"
#include "cli/cli.h"
#include "cli/file.h"
#include "cli/output.h"

namespace demarche::cli {
namespace {

int RunVerifyBundle(const std::string& path, const std::string& key, const std::string& trust_dir) {
  const std::string bytes = ReadFileOrThrow(path);
  TrustStore trust(trust_dir);
  std::vector<tlog::Verifier> pinned = trust.Keys();
  if (!key.empty()) {
    auto v = tlog::Verifier::FromKey(key);
    if (!v.ok())
      throw CliError(kUsage, fmt::format("--key: {}", std::string(v.status().message())));
    pinned = {*std::move(v)};
  }
  auto report = VerifyAuditBundle(bytes, pinned, trust.Seen());
  if (!report.ok()) {
    fmt::print(stderr, "bundle verification FAILED: {}\n", std::string(report.status().message()));
    return kOther;
  }
  Table t({"BRANCH", "FORK", "OWN EVENTS", "TREE SIZE", "ROOT", "SINCE LAST SEEN"});
  uint64_t events = 0;
  for (const BundleBranchReport& b : report->branches) {
    t.Add({b.name, b.parent.empty() ? "" : fmt::format("{} at {}", b.parent, b.fork_after_seq),
           fmt::format("{}", b.own_events), fmt::format("{}", b.size), Hex(b.root, 6),
           b.since_seen});
    events += b.own_events;
  }
  fmt::print("{}", t.Render(TerminalWidth()));
  fmt::print(
      "bundle of {}: {} {}, {} events; every root recomputed, every hash and link "
      "checks out, signed by {}\n",
      report->scenario, report->branches.size(),
      report->branches.size() == 1 ? "branch" : "branches", events, report->verifier_key);
  if (!report->key_pinned)
    fmt::print(stderr,
               "the key is the bundle's own and is not pinned: compare it with the key the "
               "server's operator publishes (or pin it: demarche trust add KEY)\n");
  return kOk;
}

}  // namespace

int RunExportBundle(const Globals& g, const std::string& branch, const std::string& path,
                    const std::string& trust_dir) {
  Client c(g);
  const std::vector<v1::Branch> branches = LineagesToCheck(c, branch);
  std::string bytes;
  try {
    bytes = ReadAuditBundle(c, branches, TrustStore(trust_dir).Keys());
  } catch (const Refused& r) {
    throw CliError(kOther, fmt::format("export --bundle FAILED: {}", r.what()));
  }
  WriteFileAtomically(path, bytes);
  fmt::print(stderr, "wrote {} ({} bytes): {} {} with their signed checkpoints\n", path,
             bytes.size(), branches.size(), branches.size() == 1 ? "branch" : "branches");
  return kOk;
}

void AddBundleCommands(CLI::App& app, Cli& cli) {
  auto path = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  auto trust_dir = std::make_shared<std::string>();
  auto* vb = app.add_subcommand(
      "verify-bundle",
      "Check an audit bundle (export --bundle) with no server: signatures, roots, hash chain, "
      "fork points (exit 1 if anything fails)");
  vb->add_option("FILE", *path, "The bundle")->required();
  vb->add_option("--key", *key,
                 "Require this verifier key (default: a key pinned in the trust dir, else the "
                 "bundle's own, with a warning)");
  AddTrustDirOption(vb, trust_dir.get());
  vb->callback([&cli, path, key, trust_dir] {
    cli.action = [path, key, trust_dir] { return RunVerifyBundle(*path, *key, *trust_dir); };
  });
}

}  // namespace demarche::cli
