// Audit bundles end to end: exported from a real server, checked with no
// server, and refused after any change to any byte.
#include <fmt/format.h>

#include "cli/audit_bundle.h"
#include "cli/checkpoint_check.h"
#include "tests/services/service_fixture.h"
#include "tlog/checkpoint.h"

namespace demarche::testing {
namespace {

class AuditBundleTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    CreateScenario();
    AppendNumbered(6);
    MustCreateBranch("what-if", "main", 4);
    AppendNumbered(3, "what-if", 100);
    MustCreateBranch("deeper", "what-if", 5);
    AppendNumbered(2, "deeper", 200);
    MustCreateBranch("empty", "main", 2);
  }
  std::string Export(const std::string& branch = "") {
    cli::Globals g;
    g.server = server_->address();
    g.scenario = "talks";
    cli::Client c(g);
    return cli::ReadAuditBundle(c, cli::LineagesToCheck(c, branch), {signer_->verifier()});
  }
  absl::StatusOr<cli::BundleReport> Verify(std::string_view bytes,
                                           std::map<std::string, cli::SeenCheckpoint> seen = {}) {
    return cli::VerifyAuditBundle(bytes, {}, seen);
  }
};

TEST_F(AuditBundleTest, ABundleVerifiesWithNoServerAndNamesEachLineage) {
  const std::string bundle = Export();
  StopServer();
  auto report = cli::VerifyAuditBundle(bundle, {signer_->verifier()}, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->key_pinned);
  EXPECT_EQ(report->scenario, "talks");
  ASSERT_EQ(report->branches.size(), 4u);
  struct Want {
    std::string name, parent;
    uint64_t fork, own, size;
  };
  const std::vector<Want> want = {{"main", "", 0, 6, 6},
                                  {"what-if", "main", 4, 3, 7},
                                  {"deeper", "what-if", 5, 2, 7},
                                  {"empty", "main", 2, 0, 2}};
  for (size_t i = 0; i < want.size(); ++i) {
    const cli::BundleBranchReport& b = report->branches[i];
    EXPECT_EQ(b.name, want[i].name);
    EXPECT_EQ(b.parent, want[i].parent);
    EXPECT_EQ(b.fork_after_seq, want[i].fork);
    EXPECT_EQ(b.own_events, want[i].own) << b.name;
    EXPECT_EQ(b.size, want[i].size) << b.name;
    EXPECT_EQ(b.since_seen, "not seen before");
  }
  // With no key pinned the bundle's own signs, and the report says so.
  auto unpinned = Verify(bundle);
  ASSERT_TRUE(unpinned.ok()) << unpinned.status();
  EXPECT_FALSE(unpinned->key_pinned);
  // Another pinned key: refused.
  auto other = tlog::Signer::Generate("someone-else");
  ASSERT_TRUE(other.ok());
  auto refused = cli::VerifyAuditBundle(bundle, {other->verifier()}, {});
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("which is not a pinned key"));
}

TEST_F(AuditBundleTest, OneBranchBundleCarriesItsAncestorsOnly) {
  auto report = Verify(Export("deeper"));
  ASSERT_TRUE(report.ok()) << report.status();
  std::vector<std::string> names;
  for (const auto& b : report->branches) names.push_back(b.name);
  EXPECT_EQ(names, (std::vector<std::string>{"main", "what-if", "deeper"}));
}

TEST_F(AuditBundleTest, EveryChangedDroppedOrAddedByteIsRefused) {
  const std::string bundle = Export();
  ASSERT_TRUE(Verify(bundle).ok());
  size_t refused = 0;
  for (size_t i = 0; i < bundle.size(); ++i) {
    for (const unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string t = bundle;
      t[i] = static_cast<char>(t[i] ^ mask);
      auto r = Verify(t);
      EXPECT_FALSE(r.ok()) << "byte " << i << " ^ " << int{mask} << " passed";
      refused += !r.ok();
    }
    std::string dropped = bundle;
    dropped.erase(i, 1);
    EXPECT_FALSE(Verify(dropped).ok()) << "without byte " << i;
    EXPECT_FALSE(Verify(bundle.substr(0, i)).ok()) << "cut at " << i;
  }
  EXPECT_EQ(refused, 3 * bundle.size());
  EXPECT_FALSE(Verify(bundle + '\0').ok());
  EXPECT_FALSE(Verify(bundle + bundle).ok()) << "a second header";
}

TEST_F(AuditBundleTest, ACheckpointSeenBeforeMustBeInTheBundlesTree) {
  // What a client saw when main had 3 events.
  const std::string origin = tlog::BranchOrigin("test-server", "talks", "main");
  auto root3 = ledger_->TreeRoot("talks", "main", 3);
  ASSERT_TRUE(root3.ok());
  const std::string bundle = Export();
  auto r = Verify(bundle, {{origin, {3, *root3}}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->branches[0].since_seen, "extends the 3 seen before");
  r = Verify(bundle, {{origin, {6, *ledger_->TreeRoot("talks", "main", 6)}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->branches[0].since_seen, "same as seen before");
  r = Verify(bundle, {{origin, {9, *root3}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->branches[0].since_seen, "older than the 9 seen (not checked)");
  // A root that is not this tree's at 3: the history was rewritten.
  r = Verify(bundle, {{origin, {3, *ledger_->TreeRoot("talks", "main", 2)}}});
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("history was rewritten"));
}

}  // namespace
}  // namespace demarche::testing
