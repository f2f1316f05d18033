// AuditService (Verify, History) through a real server.
#include "service_fixture.h"

namespace demarche::testing {
namespace {

using ::testing::ElementsAre;

class AuditServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    CreateScenario();
    AppendNumbered(4);
    MustCreateBranch("alt", "main", 2);
    MustAppend("alt", {MakeEvent("x1", "2004-01-01", {"USA"})});
  }
  std::vector<v1::HistoryEntry> History(const v1::HistoryRequest& r, grpc::Status* status) {
    auto ctx = Ctx();
    auto reader = audit_->History(ctx.get(), r);
    std::vector<v1::HistoryEntry> out;
    v1::HistoryEntry entry;
    while (reader->Read(&entry)) out.push_back(entry);
    *status = reader->Finish();
    return out;
  }
  static std::vector<std::string> Ids(const std::vector<v1::HistoryEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.id());
    return out;
  }
};

TEST_F(AuditServiceTest, VerifyOneBranchOrAll) {
  v1::VerifyRequest r;
  r.set_scenario("talks");
  r.set_branch("alt");
  v1::VerifyResponse out;
  ASSERT_TRUE(audit_->Verify(Ctx().get(), r, &out).ok());
  EXPECT_TRUE(out.ok());
  ASSERT_EQ(out.branches_size(), 1);
  EXPECT_EQ(out.branches(0).branch(), "alt");
  EXPECT_TRUE(out.branches(0).ok());
  EXPECT_EQ(out.branches(0).checked(), 3u);

  r.clear_branch();
  ASSERT_TRUE(audit_->Verify(Ctx().get(), r, &out).ok());
  EXPECT_TRUE(out.ok());
  ASSERT_EQ(out.branches_size(), 2);
  EXPECT_EQ(out.branches(0).branch(), "main");
  EXPECT_EQ(out.branches(0).checked(), 4u);
}

TEST_F(AuditServiceTest, VerifyErrors) {
  v1::VerifyRequest r;
  v1::VerifyResponse out;
  EXPECT_STATUS(audit_->Verify(Ctx().get(), r, &out), grpc::StatusCode::INVALID_ARGUMENT,
                "scenario: required");
  r.set_scenario("nope");
  EXPECT_STATUS(audit_->Verify(Ctx().get(), r, &out), grpc::StatusCode::NOT_FOUND,
                "scenario \"nope\" not found");
  r.set_scenario("talks");
  r.set_branch("ghost");
  EXPECT_STATUS(audit_->Verify(Ctx().get(), r, &out), grpc::StatusCode::NOT_FOUND,
                "branch \"ghost\" not found");
  r.set_branch("BAD");
  EXPECT_STATUS(audit_->Verify(Ctx().get(), r, &out), grpc::StatusCode::INVALID_ARGUMENT,
                "branch: \"BAD\" must match");
}

TEST_F(AuditServiceTest, HistoryOfABranchOrTheWholeScenario) {
  v1::HistoryRequest r;
  r.set_scenario("talks");
  r.set_branch("alt");
  grpc::Status status;
  auto lineage = History(r, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(Ids(lineage), ElementsAre("e1", "e2", "x1"));
  EXPECT_EQ(lineage[0].branch(), "main");
  EXPECT_EQ(lineage[2].branch(), "alt");
  EXPECT_EQ(lineage[2].recorded_by(), "local");
  EXPECT_GT(lineage[2].recorded_at().seconds(), 0);
  EXPECT_EQ(lineage[2].hash().size(), 32u);
  EXPECT_EQ(lineage[2].summary(), "event x1");

  r.set_from_seq(2);
  EXPECT_THAT(Ids(History(r, &status)), ElementsAre("e2", "x1"));

  // No branch: every event once, under the branch it was appended to.
  r.clear_branch();
  r.set_from_seq(0);
  EXPECT_THAT(Ids(History(r, &status)), ElementsAre("e1", "e2", "e3", "e4", "x1"));
}

TEST_F(AuditServiceTest, HistoryFiltersByRecorder) {
  // A second server over the same ledger whose unauthenticated principal is
  // "alice" stands in for a second user until tokens exist.
  services::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.local_principal = "alice";
  auto alice_server = services::Server::Start(ledger_.get(), options);
  ASSERT_TRUE(alice_server.ok()) << alice_server.status();
  auto alice = v1::LedgerService::NewStub(
      grpc::CreateChannel((*alice_server)->address(), grpc::InsecureChannelCredentials()));
  v1::AppendRequest append;
  append.set_scenario("talks");
  append.set_branch("alt");
  *append.add_events() = MakeEvent("by-alice", "2004-02-01", {"PRK"});
  v1::AppendResponse appended;
  ASSERT_TRUE(alice->Append(Ctx().get(), append, &appended).ok());
  EXPECT_EQ(appended.events(0).recorded_by(), "alice");

  v1::HistoryRequest r;
  r.set_scenario("talks");
  r.set_recorded_by("alice");
  grpc::Status status;
  auto entries = History(r, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(Ids(entries), ElementsAre("by-alice"));
  r.set_recorded_by("local");
  EXPECT_EQ(History(r, &status).size(), 5u);
  r.set_recorded_by("nobody");
  EXPECT_TRUE(History(r, &status).empty());
}

TEST_F(AuditServiceTest, HistoryErrors) {
  v1::HistoryRequest r;
  grpc::Status status;
  History(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT, "scenario: required");
  r.set_scenario("talks");
  r.set_branch("ghost");
  History(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::NOT_FOUND, "branch \"ghost\" not found");
  r.set_scenario("nope");
  r.clear_branch();
  History(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::NOT_FOUND, "scenario \"nope\" not found");
}

}  // namespace
}  // namespace demarche::testing
