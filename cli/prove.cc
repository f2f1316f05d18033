#include "cli/prove.h"

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include "cli/checkpoint_check.h"
#include "cli/output.h"
#include "proto/deterministic.h"
#include "tlog/merkle.h"

namespace demarche::cli {
namespace {

// The event's proof of inclusion in `cp`; throws Refused.
void ProveOne(Client& c, const std::string& branch, const v1::Event& shown,
              const tlog::Checkpoint& cp) {
  v1::GetInclusionProofRequest req;
  req.set_scenario(c.scenario());
  req.set_branch(branch);
  req.set_seq(shown.seq());
  req.set_tree_size(cp.size);
  v1::InclusionProof proof;
  grpc::ClientContext ctx;
  c.Prepare(ctx);
  if (grpc::Status st = c.audit().GetInclusionProof(&ctx, req, &proof); !st.ok())
    throw Refused(fmt::format("seq {}: GetInclusionProof: {}", shown.seq(), st.error_message()));
  if (!tlog::VerifyInclusion(shown.seq() - 1, cp.size, tlog::LeafHash(proof.leaf()),
                             {proof.hashes().begin(), proof.hashes().end()}, cp.root)
           .ok())
    throw Refused(
        fmt::format("seq {}: the server's proof does not lead to the signed root", shown.seq()));
  // The leaf is proved; what was printed must be that leaf, hashed as it says.
  v1::Event leaf;
  if (!leaf.ParseFromString(proof.leaf()))
    throw Refused(fmt::format("seq {}: the proved entry is not an event", shown.seq()));
  v1::Event content = leaf;
  content.clear_hash();
  if (tlog::Sha256(DeterministicBytes(content)) != leaf.hash())
    throw Refused(
        fmt::format("seq {}: the proved event's hash is not of its content", shown.seq()));
  if (!google::protobuf::util::MessageDifferencer::Equals(leaf, shown))
    throw Refused(fmt::format("seq {}: the event printed is not the one proved", shown.seq()));
}

}  // namespace

int ProveShown(Client& c, const std::string& branch, const std::vector<v1::Event>& shown,
               const std::string& trust_dir) {
  TrustStore trust(trust_dir);
  std::vector<tlog::Verifier> keys = trust.Keys();
  if (keys.empty())
    throw CliError(kRefused, fmt::format("--prove needs a pinned key in {} (demarche trust add "
                                         "KEY, or --from-server on first contact)",
                                         trust.dir()));
  CheckpointChecker checker(c, std::move(keys), trust.Seen());
  try {
    // After the events were read: the tree holds them all.
    const CheckpointChecker::Checked cp = checker.Check(branch);
    for (const v1::Event& e : shown) ProveOne(c, branch, e, cp.cp);
    trust.SaveSeen(checker.seen());
    fmt::print("proved: {} in the tree of size {} of {} signed by {} (root {}), {}\n",
               shown.size() == 1 ? fmt::format("seq {} is", shown[0].seq())
                                 : fmt::format("all {} events shown are", shown.size()),
               cp.cp.size, branch, cp.signer, Hex(cp.cp.root, 6), cp.since_seen);
  } catch (const Refused& r) {
    fmt::print(stderr, "proof FAILED: {}\n", r.what());
    return kOther;
  }
  return kOk;
}

}  // namespace demarche::cli
