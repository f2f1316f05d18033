#include "cli/checkpoint_check.h"

#include <functional>

#include <fmt/format.h>

#include "tlog/merkle.h"

namespace demarche::cli {
namespace {

std::vector<std::string> Hashes(const google::protobuf::RepeatedPtrField<std::string>& h) {
  return {h.begin(), h.end()};
}

}  // namespace

CheckpointChecker::CheckpointChecker(Client& c, std::vector<tlog::Verifier> keys,
                                     std::map<std::string, SeenCheckpoint> seen)
    : c_(c), keys_(std::move(keys)), seen_(std::move(seen)) {}

CheckpointChecker::Checked CheckpointChecker::Check(const std::string& branch) {
  v1::GetCheckpointRequest req;
  req.set_scenario(c_.scenario());
  req.set_branch(branch);
  v1::Checkpoint resp;
  grpc::ClientContext ctx;
  c_.Prepare(ctx);
  if (grpc::Status st = c_.audit().GetCheckpoint(&ctx, req, &resp); !st.ok())
    throw Refused(fmt::format("GetCheckpoint: {}", st.error_message()));
  auto opened = tlog::OpenNote(resp.note(), keys_);
  if (!opened.ok()) throw Refused(std::string(opened.status().message()));
  auto cp = tlog::ParseCheckpoint(opened->text);
  if (!cp.ok()) throw Refused(std::string(cp.status().message()));
  Checked out{*std::move(cp), resp.note(), opened->verified[0].name, "", ""};
  const std::string origin = tlog::BranchOrigin(out.signer, c_.scenario(), branch);
  if (out.cp.origin != origin)
    throw Refused(fmt::format("the checkpoint is of \"{}\", not \"{}\"", out.cp.origin, origin));
  out.since_seen = SinceSeen(branch, out.cp);
  return out;
}

std::string CheckpointChecker::CheckFork(const v1::Branch& b, const tlog::Checkpoint& cp,
                                         const tlog::Checkpoint& parent) {
  const uint64_t f = b.fork_after_seq();
  if (f == 0) return fmt::format("from {} (empty)", b.parent());
  std::string claimed;
  Extends(b.name(), f, cp, &claimed);
  Extends(b.parent(), f, parent, &claimed);
  return fmt::format("extends {} at {}", b.parent(), f);
}

// Proves `cp` extends the tree of `size1` leaves whose root is *root1
// (taken from the server when empty, then held to it).
void CheckpointChecker::Extends(const std::string& branch, uint64_t size1,
                                const tlog::Checkpoint& cp, std::string* root1) {
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
      throw Refused(fmt::format("GetConsistencyProof: {}", st.error_message()));
  }
  if (root1->empty()) *root1 = proof.root1();
  if (size1 == cp.size
          ? cp.root != *root1
          : !tlog::VerifyConsistency(size1, cp.size, Hashes(proof.hashes()), *root1, cp.root).ok())
    throw Refused(fmt::format(
        "branch {}'s checkpoint of size {} does not extend the tree of size {} it should "
        "share: history was rewritten",
        branch, cp.size, size1));
}

std::string CheckpointChecker::SinceSeen(const std::string& branch, const tlog::Checkpoint& cp) {
  auto it = seen_.find(cp.origin);
  if (it == seen_.end() || it->second.size == 0) {
    seen_[cp.origin] = {cp.size, cp.root};
    return "first seen";
  }
  const SeenCheckpoint before = it->second;
  if (cp.size < before.size)
    throw Refused(fmt::format(
        "the server's checkpoint of size {} is older than the one of size {} seen before "
        "(a log never shrinks): history was rewritten or rolled back",
        cp.size, before.size));
  std::string root1 = before.root;
  Extends(branch, before.size, cp, &root1);
  seen_[cp.origin] = {cp.size, cp.root};
  return cp.size == before.size ? "same as seen before"
                                : fmt::format("extends the {} seen before", before.size);
}

std::vector<v1::Branch> LineagesToCheck(Client& c, const std::string& branch) {
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

}  // namespace demarche::cli
