// AuditService's checkpoints and proofs through a real server, checked the
// way a client checks them: the note against the signer's verifier key, the
// proofs against the checkpoint's root (tlog/), never the server's word.
#include <fmt/format.h>

#include "service_fixture.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

namespace demarche::testing {
namespace {

class AuditProofsTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    CreateScenario();
  }
  // The checkpoint, opened with the fixture's verifier key.
  tlog::Checkpoint Checkpoint(const std::string& branch) {
    v1::GetCheckpointRequest req;
    req.set_scenario("talks");
    req.set_branch(branch);
    v1::Checkpoint resp;
    grpc::Status st = audit_->GetCheckpoint(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.verifier_key(), signer_->verifier().Key());
    auto opened = tlog::OpenNote(resp.note(), {signer_->verifier()});
    EXPECT_TRUE(opened.ok()) << opened.status();
    auto body = tlog::ParseCheckpoint(opened.ok() ? opened->text : "");
    EXPECT_TRUE(body.ok()) << body.status();
    if (!body.ok()) return {};
    EXPECT_EQ(body->origin, "test-server/talks/" + branch);
    EXPECT_EQ(body->size, resp.tree_size());
    EXPECT_EQ(body->root, resp.root_hash());
    return *body;
  }
  grpc::Status Inclusion(v1::GetInclusionProofRequest req, v1::InclusionProof* resp) {
    req.set_scenario(req.scenario().empty() ? "talks" : req.scenario());
    return audit_->GetInclusionProof(Ctx().get(), req, resp);
  }
  grpc::Status Consistency(const std::string& branch, uint64_t size1, uint64_t size2,
                           v1::ConsistencyProof* resp) {
    v1::GetConsistencyProofRequest req;
    req.set_scenario("talks");
    req.set_branch(branch);
    req.set_size1(size1);
    req.set_size2(size2);
    return audit_->GetConsistencyProof(Ctx().get(), req, resp);
  }
  static std::vector<std::string> Hashes(const google::protobuf::RepeatedPtrField<std::string>& h) {
    return {h.begin(), h.end()};
  }
};

TEST_F(AuditProofsTest, EveryEventIsProvedIncludedInTheSignedTree) {
  AppendNumbered(7);
  const tlog::Checkpoint cp = Checkpoint("main");
  ASSERT_EQ(cp.size, 7u);
  for (uint64_t seq = 1; seq <= 7; ++seq) {
    v1::GetInclusionProofRequest req;
    req.set_branch("main");
    if (seq % 2 == 0)
      req.set_seq(seq);
    else
      req.set_event_id(fmt::format("e{}", seq));
    req.set_tree_size(cp.size);
    v1::InclusionProof proof;
    grpc::Status st = Inclusion(req, &proof);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(proof.leaf_index(), seq - 1);
    EXPECT_TRUE(tlog::VerifyInclusion(seq - 1, cp.size, tlog::LeafHash(proof.leaf()),
                                      Hashes(proof.hashes()), cp.root)
                    .ok());
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(proof.leaf()));
    EXPECT_EQ(e.id(), fmt::format("e{}", seq));
    EXPECT_EQ(e.seq(), seq);
    // Another event's bytes do not pass for this one.
    std::string other = proof.leaf();
    other[other.size() / 2] ^= 1;
    EXPECT_FALSE(tlog::VerifyInclusion(seq - 1, cp.size, tlog::LeafHash(other),
                                       Hashes(proof.hashes()), cp.root)
                     .ok());
  }
}

TEST_F(AuditProofsTest, LaterCheckpointsAndForksProvablyExtendEarlierOnes) {
  AppendNumbered(5);
  const tlog::Checkpoint at5 = Checkpoint("main");
  AppendNumbered(6, "main", 6);
  const tlog::Checkpoint at11 = Checkpoint("main");
  v1::ConsistencyProof proof;
  ASSERT_TRUE(Consistency("main", 5, 0, &proof).ok());
  EXPECT_EQ(proof.size2(), 11u);
  EXPECT_TRUE(tlog::VerifyConsistency(5, 11, Hashes(proof.hashes()), at5.root, at11.root).ok());

  // A fork after 3: its checkpoint and main's are bound to one tree at 3 by
  // two proofs from the same claimed root.
  MustCreateBranch("what-if", "main", 3);
  AppendNumbered(4, "what-if", 100);
  const tlog::Checkpoint fork = Checkpoint("what-if");
  ASSERT_EQ(fork.size, 7u);
  v1::ConsistencyProof on_fork, on_main;
  ASSERT_TRUE(Consistency("what-if", 3, 7, &on_fork).ok());
  ASSERT_TRUE(Consistency("main", 3, 11, &on_main).ok());
  EXPECT_EQ(on_fork.root1(), on_main.root1());
  EXPECT_TRUE(
      tlog::VerifyConsistency(3, 7, Hashes(on_fork.hashes()), on_fork.root1(), fork.root).ok());
  EXPECT_TRUE(
      tlog::VerifyConsistency(3, 11, Hashes(on_main.hashes()), on_main.root1(), at11.root).ok());
  // Not beyond the fork point: main's 4th event is not the fork's.
  ASSERT_TRUE(Consistency("what-if", 4, 7, &on_fork).ok());
  ASSERT_TRUE(Consistency("main", 4, 11, &on_main).ok());
  EXPECT_NE(on_fork.root1(), on_main.root1());
}

TEST_F(AuditProofsTest, EntriesRebuildTheSignedRootOfEachLineage) {
  AppendNumbered(6);
  MustCreateBranch("what-if", "main", 4);
  AppendNumbered(3, "what-if", 100);
  // Batches are an implementation detail: gather them, in order.
  auto entries = [&](const std::string& branch, uint64_t from, uint64_t to) {
    v1::GetEntriesRequest req;
    req.set_scenario("talks");
    req.set_branch(branch);
    req.set_from_seq(from);
    req.set_to_seq(to);
    auto ctx = Ctx();
    auto reader = audit_->GetEntries(ctx.get(), req);
    std::vector<std::string> out;
    v1::Entries batch;
    while (reader->Read(&batch)) {
      EXPECT_EQ(batch.first_seq(), from + out.size());
      out.insert(out.end(), batch.entries().begin(), batch.entries().end());
    }
    grpc::Status st = reader->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  };
  for (const std::string branch : {"main", "what-if"}) {
    const tlog::Checkpoint cp = Checkpoint(branch);
    const std::vector<std::string> all = entries(branch, 1, 0);
    ASSERT_EQ(all.size(), cp.size) << branch;
    tlog::Frontier tree;
    for (size_t i = 0; i < all.size(); ++i) {
      v1::Event e;
      ASSERT_TRUE(e.ParseFromString(all[i]));
      EXPECT_EQ(e.seq(), i + 1);
      EXPECT_EQ(e.branch(), i < 4 ? "main" : branch);
      tree.Append(tlog::LeafHash(all[i]), [](int, uint64_t, const std::string&) {});
    }
    EXPECT_EQ(tree.Root(), cp.root) << branch;
    // A range is the same bytes as the whole.
    EXPECT_EQ(entries(branch, 3, 5), std::vector<std::string>(all.begin() + 2, all.begin() + 5));
  }
  v1::Entries batch;
  auto status = [&](uint64_t from, uint64_t to) {
    v1::GetEntriesRequest req;
    req.set_scenario("talks");
    req.set_branch("main");
    req.set_from_seq(from);
    req.set_to_seq(to);
    auto ctx = Ctx();
    auto reader = audit_->GetEntries(ctx.get(), req);
    while (reader->Read(&batch)) ADD_FAILURE() << "an entry for a refused request";
    return reader->Finish();
  };
  EXPECT_STATUS(status(0, 3), grpc::INVALID_ARGUMENT, "from_seq: must be at least 1");
  EXPECT_STATUS(status(4, 3), grpc::INVALID_ARGUMENT, "to_seq: 3 is before from_seq 4");
  EXPECT_STATUS(status(2, 7), grpc::OUT_OF_RANGE, "to_seq: 7 is beyond the head 6");
  EXPECT_STATUS(status(7, 0), grpc::OUT_OF_RANGE, "from_seq: 7 is beyond the head 6");
}

TEST_F(AuditProofsTest, ImpossibleRequestsNameTheirFieldAndWriteNothing) {
  AppendNumbered(4);
  struct Case {
    v1::GetInclusionProofRequest req;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  auto add = [&](auto set, grpc::StatusCode code, std::string message) {
    v1::GetInclusionProofRequest r;
    r.set_branch("main");
    set(r);
    cases.push_back({r, code, std::move(message)});
  };
  add([](auto& r) { r.set_seq(0); }, grpc::INVALID_ARGUMENT, "seq: must be at least 1");
  add([](auto& r) { r.set_seq(5); }, grpc::INVALID_ARGUMENT,
      "seq: seq 5 is not in the tree of size 4");
  add([](auto& r) { (r.set_seq(4), r.set_tree_size(3)); }, grpc::INVALID_ARGUMENT,
      "seq: seq 4 is not in the tree of size 3");
  add([](auto& r) { (void)r; }, grpc::INVALID_ARGUMENT, "seq: set seq or event_id");
  add([](auto& r) { (r.set_seq(1), r.set_tree_size(9)); }, grpc::OUT_OF_RANGE,
      "tree_size: 9 is beyond the head 4");
  add([](auto& r) { r.set_event_id("no such"); }, grpc::INVALID_ARGUMENT, "event_id");
  add([](auto& r) { r.set_event_id("missing"); }, grpc::NOT_FOUND, "missing");
  add([](auto& r) { (r.set_branch("nope"), r.set_seq(1)); }, grpc::NOT_FOUND, "nope");
  add([](auto& r) { (r.set_scenario("Bad Name"), r.set_seq(1)); }, grpc::INVALID_ARGUMENT,
      "scenario");
  for (const Case& c : cases) {
    v1::InclusionProof resp;
    EXPECT_STATUS(Inclusion(c.req, &resp), c.code, c.message);
  }
  v1::ConsistencyProof resp;
  EXPECT_STATUS(Consistency("main", 0, 4, &resp), grpc::INVALID_ARGUMENT,
                "size1: must be at least 1");
  EXPECT_STATUS(Consistency("main", 4, 3, &resp), grpc::INVALID_ARGUMENT,
                "size1: 4 is greater than size2 3");
  EXPECT_STATUS(Consistency("main", 1, 5, &resp), grpc::OUT_OF_RANGE,
                "size2: 5 is beyond the head 4");
  EXPECT_STATUS(Consistency("", 1, 2, &resp), grpc::INVALID_ARGUMENT, "branch");
  EXPECT_EQ(Head(), 4u);
  EXPECT_EQ(Checkpoint("main").size, 4u);
}

}  // namespace
}  // namespace demarche::testing
