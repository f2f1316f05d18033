// BranchService through a real server.
#include "service_fixture.h"

namespace demarche::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class BranchServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    CreateScenario();
    AppendNumbered(5);
  }
  v1::CreateBranchRequest Request(const std::string& name) {
    v1::CreateBranchRequest r;
    r.set_scenario("talks");
    r.set_name(name);
    return r;
  }
  grpc::Status Create(const v1::CreateBranchRequest& r, v1::Branch* out) {
    return branches_->CreateBranch(Ctx().get(), r, out);
  }
  v1::CompareBranchesResponse Compare(const std::string& a, const std::string& b) {
    v1::CompareBranchesRequest r;
    r.set_scenario("talks");
    r.set_a(a);
    r.set_b(b);
    v1::CompareBranchesResponse out;
    grpc::Status s = branches_->CompareBranches(Ctx().get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  static std::vector<std::string> Ids(const google::protobuf::RepeatedPtrField<v1::Event>& es) {
    std::vector<std::string> out;
    for (const auto& e : es) out.push_back(e.id());
    return out;
  }
};

TEST_F(BranchServiceTest, CreateAtASeqAnEventOrTheHead) {
  auto r = Request("at-seq");
  r.set_after_seq(3);
  r.set_description("premise");
  v1::Branch b;
  ASSERT_TRUE(Create(r, &b).ok());
  EXPECT_EQ(b.parent(), "main");
  EXPECT_EQ(b.fork_after_seq(), 3u);
  EXPECT_EQ(b.head_seq(), 3u);
  EXPECT_EQ(b.owner(), "local");
  EXPECT_EQ(b.description(), "premise");

  r = Request("at-event");
  r.set_after_event("e2");
  ASSERT_TRUE(Create(r, &b).ok());
  EXPECT_EQ(b.fork_after_seq(), 2u);

  r = Request("at-head");
  r.set_parent("at-seq");
  ASSERT_TRUE(Create(r, &b).ok());
  EXPECT_EQ(b.parent(), "at-seq");
  EXPECT_EQ(b.fork_after_seq(), 3u);

  r = Request("cut");
  r.set_after_seq(5);
  *r.mutable_date_cutoff() = Date("2003-01-03");
  ASSERT_TRUE(Create(r, &b).ok());
  EXPECT_EQ(b.date_cutoff().day(), 3);

  v1::GetBranchRequest get;
  get.set_scenario("talks");
  get.set_name("at-event");
  v1::Branch got;
  ASSERT_TRUE(branches_->GetBranch(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.fork_after_seq(), 2u);
}

TEST_F(BranchServiceTest, CreateRejectsBadRequests) {
  v1::Branch b;
  auto r = Request("");
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::INVALID_ARGUMENT, "name: required");
  r = Request("Bad");
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::INVALID_ARGUMENT, "name: \"Bad\" must match");
  r = Request("x");
  r.set_scenario("");
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::INVALID_ARGUMENT, "scenario: required");
  r = Request("x");
  r.set_scenario("nope");
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::NOT_FOUND, "scenario \"nope\" not found");
  r = Request("x");
  r.set_parent("ghost");
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::NOT_FOUND,
                "parent: branch \"ghost\" not found in scenario \"talks\"");
  r = Request("x");
  r.set_after_event("zzz");
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::NOT_FOUND, "after_event: no event \"zzz\"");
  r.set_after_event("");
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::INVALID_ARGUMENT, "after_event: required");
  r = Request("x");
  r.set_after_seq(6);
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::OUT_OF_RANGE, "after_seq: 6 is beyond the head 5");
  r = Request("x");
  r.mutable_date_cutoff()->set_year(2003);
  r.mutable_date_cutoff()->set_month(14);
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::INVALID_ARGUMENT, "date_cutoff");
  r = Request("main");
  EXPECT_STATUS(Create(r, &b), grpc::StatusCode::ALREADY_EXISTS, "branch \"main\" already exists");

  // None of these created anything.
  v1::ListBranchesRequest list;
  list.set_scenario("talks");
  v1::ListBranchesResponse tree;
  ASSERT_TRUE(branches_->ListBranches(Ctx().get(), list, &tree).ok());
  EXPECT_EQ(tree.branches_size(), 1);
}

TEST_F(BranchServiceTest, GetErrors) {
  v1::GetBranchRequest get;
  v1::Branch b;
  EXPECT_STATUS(branches_->GetBranch(Ctx().get(), get, &b), grpc::StatusCode::INVALID_ARGUMENT,
                "scenario: required");
  get.set_scenario("talks");
  EXPECT_STATUS(branches_->GetBranch(Ctx().get(), get, &b), grpc::StatusCode::INVALID_ARGUMENT,
                "name: required");
  get.set_name("ghost");
  EXPECT_STATUS(branches_->GetBranch(Ctx().get(), get, &b), grpc::StatusCode::NOT_FOUND,
                "branch \"ghost\" not found in scenario \"talks\"");
}

TEST_F(BranchServiceTest, ListIsATreeUnderMain) {
  MustCreateBranch("b", "main", 4);
  MustCreateBranch("a", "main", 2);
  MustCreateBranch("c", "a", 2);
  v1::ListBranchesRequest list;
  list.set_scenario("talks");
  v1::ListBranchesResponse tree;
  ASSERT_TRUE(branches_->ListBranches(Ctx().get(), list, &tree).ok());
  ASSERT_EQ(tree.branches_size(), 4);
  EXPECT_EQ(tree.branches(0).name(), "main");
  EXPECT_EQ(tree.branches(1).name(), "a");
  EXPECT_EQ(tree.root().branch().name(), "main");
  ASSERT_EQ(tree.root().children_size(), 2);
  EXPECT_EQ(tree.root().children(0).branch().name(), "a");
  EXPECT_EQ(tree.root().children(1).branch().name(), "b");
  ASSERT_EQ(tree.root().children(0).children_size(), 1);
  EXPECT_EQ(tree.root().children(0).children(0).branch().name(), "c");
  EXPECT_EQ(tree.root().children(1).children_size(), 0);

  list.set_scenario("nope");
  EXPECT_STATUS(branches_->ListBranches(Ctx().get(), list, &tree), grpc::StatusCode::NOT_FOUND,
                "scenario \"nope\" not found");
  list.set_scenario("");
  EXPECT_STATUS(branches_->ListBranches(Ctx().get(), list, &tree),
                grpc::StatusCode::INVALID_ARGUMENT, "scenario: required");
}

TEST_F(BranchServiceTest, CompareAgainstTheCommonAncestor) {
  MustCreateBranch("a", "main", 3);
  MustAppend("a", {MakeEvent("a1", "2004-01-01", {"USA"}), MakeEvent("a2", "2004-01-02", {"USA"})});
  MustCreateBranch("b", "main", 2);
  MustAppend("b", {MakeEvent("b1", "2004-02-01", {"PRK"})});
  MustCreateBranch("c", "a", 4);  // after a1
  MustAppend("c", {MakeEvent("c1", "2004-03-01", {"CHN"})});

  auto ab = Compare("a", "b");
  EXPECT_EQ(ab.common_ancestor(), "main");
  EXPECT_EQ(ab.common_seq(), 2u);
  EXPECT_THAT(Ids(ab.only_a()), ElementsAre("e3", "a1", "a2"));
  EXPECT_THAT(Ids(ab.only_b()), ElementsAre("b1"));

  auto am = Compare("a", "");  // b defaults to main
  EXPECT_EQ(am.common_ancestor(), "main");
  EXPECT_EQ(am.common_seq(), 3u);
  EXPECT_THAT(Ids(am.only_a()), ElementsAre("a1", "a2"));
  EXPECT_THAT(Ids(am.only_b()), ElementsAre("e4", "e5"));

  auto ca = Compare("c", "a");
  EXPECT_EQ(ca.common_ancestor(), "a");
  EXPECT_EQ(ca.common_seq(), 4u);
  EXPECT_THAT(Ids(ca.only_a()), ElementsAre("c1"));
  EXPECT_THAT(Ids(ca.only_b()), ElementsAre("a2"));

  auto cb = Compare("c", "b");
  EXPECT_EQ(cb.common_ancestor(), "main");
  EXPECT_EQ(cb.common_seq(), 2u);
  EXPECT_THAT(Ids(cb.only_a()), ElementsAre("e3", "a1", "c1"));

  auto same = Compare("a", "a");
  EXPECT_EQ(same.common_ancestor(), "a");
  EXPECT_EQ(same.common_seq(), 5u);
  EXPECT_THAT(same.only_a(), IsEmpty());
  EXPECT_THAT(same.only_b(), IsEmpty());
}

TEST_F(BranchServiceTest, CompareErrors) {
  v1::CompareBranchesRequest r;
  v1::CompareBranchesResponse out;
  r.set_scenario("talks");
  EXPECT_STATUS(branches_->CompareBranches(Ctx().get(), r, &out),
                grpc::StatusCode::INVALID_ARGUMENT, "a: required");
  r.set_a("ghost");
  EXPECT_STATUS(branches_->CompareBranches(Ctx().get(), r, &out), grpc::StatusCode::NOT_FOUND,
                "a: branch \"ghost\" not found");
  r.set_a("main");
  r.set_b("ghost");
  EXPECT_STATUS(branches_->CompareBranches(Ctx().get(), r, &out), grpc::StatusCode::NOT_FOUND,
                "b: branch \"ghost\" not found");
}

}  // namespace
}  // namespace demarche::testing
