// The Merkle tree each branch lineage keeps (ledger/tree.h) against a naive
// RFC 6962 tree over the stored bytes: roots and proofs at every size, forks
// sharing their parent's tree up to the fork point, group commit, restart and
// the upgrade of a ledger written before trees existed.
#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <thread>
#include <tuple>

#include "ledger/keys.h"
#include "tlog/merkle.h"
#include "ledger_test_util.h"

namespace demarche::ledger {
namespace {

using tlog::LeafHash;
using tlog::NodeHash;

std::string NaiveRoot(const std::vector<std::string>& leaves, size_t begin, size_t end) {
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(NaiveRoot(leaves, begin, begin + k), NaiveRoot(leaves, begin + k, end));
}

class TreeTest : public ltest::LedgerTest {
 protected:
  // The leaf hashes of the lineage's first `size` events, from their stored
  // bytes.
  std::vector<std::string> Leaves(const std::string& branch, uint64_t size) {
    std::vector<std::string> out;
    for (uint64_t seq = 1; seq <= size; ++seq) {
      auto bytes = ledger_->StoredEvent("s", branch, seq);
      EXPECT_TRUE(bytes.ok()) << bytes.status();
      out.push_back(LeafHash(bytes.ok() ? *bytes : ""));
    }
    return out;
  }
  std::string Root(const std::string& branch, uint64_t size) {
    auto r = ledger_->TreeRoot("s", branch, size);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : "";
  }
  // Every root, inclusion and consistency proof of `branch` up to `head`.
  void ExpectMatchesNaiveTree(const std::string& branch, uint64_t head) {
    const std::vector<std::string> leaves = Leaves(branch, head);
    std::vector<std::string> roots{tlog::EmptyRoot()};
    for (uint64_t n = 1; n <= head; ++n) roots.push_back(NaiveRoot(leaves, 0, n));
    for (uint64_t n = 0; n <= head; ++n) {
      SCOPED_TRACE(n);
      EXPECT_EQ(Root(branch, n), roots[n]);
      for (uint64_t i = 0; i < n; ++i) {
        auto proof = ledger_->InclusionProof("s", branch, i, n);
        ASSERT_TRUE(proof.ok()) << proof.status();
        EXPECT_TRUE(tlog::VerifyInclusion(i, n, leaves[i], *proof, roots[n]).ok()) << i;
      }
      for (uint64_t m = 1; m <= n; ++m) {
        auto proof = ledger_->ConsistencyProof("s", branch, m, n);
        ASSERT_TRUE(proof.ok()) << proof.status();
        EXPECT_TRUE(tlog::VerifyConsistency(m, n, *proof, roots[m], roots[n]).ok()) << m;
      }
    }
  }
  void AppendN(const std::string& branch, const std::string& prefix, int n) {
    ASSERT_TRUE(
        ledger_->Append("s", branch, ltest::Statements(prefix, n), kAnyHead, "tester").ok());
  }
};

TEST_F(TreeTest, RootsAndProofsAreThoseOfTheStoredBytes) {
  EXPECT_EQ(Root("main", 0), tlog::EmptyRoot());
  // Groups of uneven sizes, so that appends complete nodes across groups.
  int n = 0;
  for (int group : {1, 2, 5, 3, 8, 1, 13, 4}) {
    AppendN("main", "g" + std::to_string(n), group);
    n += group;
  }
  ExpectMatchesNaiveTree("main", n);
}

TEST_F(TreeTest, ConcurrentAppendsAndARestartKeepTheTreeWhole) {
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < 6; ++i)
        AppendN("main", "w" + std::to_string(w) + "-" + std::to_string(i) + "-", 1 + i % 3);
    });
  for (auto& t : writers) t.join();
  const uint64_t head = ledger_->GetBranch("s", "main")->head_seq();
  ASSERT_EQ(head, 4u * (1 + 2 + 3 + 1 + 2 + 3));
  ExpectMatchesNaiveTree("main", head);
  // A new process reloads the right edge from the stored nodes.
  Reopen();
  AppendN("main", "after-restart-", 7);
  ExpectMatchesNaiveTree("main", head + 7);
}

TEST_F(TreeTest, AForkSharesItsParentsTreeAndExtendsItProvably) {
  AppendN("main", "m", 20);
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 11, std::nullopt, "analyst", "").ok());
  // A cutoff hides inherited events from reads, not from the tree.
  ASSERT_TRUE(ledger_->CreateBranch("s", "c", "main", 7, ltest::Date("1990"), "analyst", "").ok());
  EXPECT_EQ(Root("b", 11), Root("main", 11));
  EXPECT_EQ(Root("c", 7), Root("main", 7));
  AppendN("b", "b", 9);
  AppendN("c", "c", 2);
  ASSERT_TRUE(ledger_->CreateBranch("s", "bb", "b", 16, std::nullopt, "analyst", "").ok());
  AppendN("bb", "bb", 6);
  AppendN("main", "m2-", 3);
  ExpectMatchesNaiveTree("b", 20);
  ExpectMatchesNaiveTree("c", 9);
  ExpectMatchesNaiveTree("bb", 22);
  ExpectMatchesNaiveTree("main", 23);
  EXPECT_NE(Root("b", 20), Root("main", 20));
  EXPECT_EQ(Root("bb", 16), Root("b", 16));
  EXPECT_EQ(Root("bb", 11), Root("main", 11));
  // The branch's tree is an extension of the parent's at the fork point,
  // and of the grandparent's: a client holding main's checkpoint at 11
  // checks it against bb's at 22.
  for (auto [branch, from, parent] :
       {std::tuple{"b", 11, "main"}, std::tuple{"bb", 11, "main"}, std::tuple{"bb", 16, "b"}}) {
    const uint64_t size2 = ledger_->GetBranch("s", branch)->head_seq();
    auto proof = ledger_->ConsistencyProof("s", branch, from, size2);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_TRUE(
        tlog::VerifyConsistency(from, size2, *proof, Root(parent, from), Root(branch, size2))
            .ok())
        << branch;
    // ... and not of the parent's later history, which it does not hold.
    if (std::string_view(parent) == "main") {
      auto later = ledger_->ConsistencyProof("s", branch, from + 1, size2);
      ASSERT_TRUE(later.ok()) << later.status();
      EXPECT_FALSE(tlog::VerifyConsistency(from + 1, size2, *later, Root("main", from + 1),
                                             Root(branch, size2))
                       .ok());
    }
  }
}

TEST_F(TreeTest, ImpossibleSizesNameTheirField) {
  AppendN("main", "m", 5);
  auto beyond = ledger_->TreeRoot("s", "main", 6);
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(beyond.status().message().find("tree_size: 6 is beyond the head 5"), std::string::npos)
      << beyond.status();
  auto index = ledger_->InclusionProof("s", "main", 5, 5);
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(index.status().message().find("index"), std::string::npos) << index.status();
  auto zero = ledger_->ConsistencyProof("s", "main", 0, 5);
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("size1"), std::string::npos) << zero.status();
  auto order = ledger_->ConsistencyProof("s", "main", 4, 3);
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(order.status().message().find("size1"), std::string::npos) << order.status();
  auto size2 = ledger_->ConsistencyProof("s", "main", 1, 9);
  EXPECT_EQ(size2.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(size2.status().message().find("size2"), std::string::npos) << size2.status();
  EXPECT_EQ(ledger_->TreeRoot("s", "nope", 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ledger_->StoredEvent("s", "main", 6).status().code(), absl::StatusCode::kNotFound);
}

// A ledger of schema 3 has no tree: opening it builds every branch's, parents
// first, to the same roots an always-treed ledger has.
TEST_F(TreeTest, AnOlderLedgerGetsItsTreesBuiltOnOpen) {
  AppendN("main", "m", 13);
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 6, std::nullopt, "analyst", "").ok());
  AppendN("b", "b", 5);
  ASSERT_TRUE(ledger_->CreateBranch("s", "bb", "b", 9, std::nullopt, "analyst", "").ok());
  AppendN("bb", "bb", 3);
  std::map<std::string, std::vector<std::string>> before;
  for (auto [branch, head] : {std::pair{"main", 13}, std::pair{"b", 11}, std::pair{"bb", 12}})
    for (int n = 0; n <= head; ++n) before[branch].push_back(Root(branch, n));
  ledger_.reset();
  {
    ltest::RawDb raw(dir_.path());
    std::unique_ptr<rocksdb::Iterator> it(raw.db().NewIterator({}, raw.cf("tree")));
    int nodes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++nodes)
      ASSERT_TRUE(raw.db().Delete({}, raw.cf("tree"), it->key()).ok());
    // A tree of n leaves has 2n - popcount(n) perfect subtrees; a fork stores
    // only those its own leaves complete.
    auto stored = [](uint64_t n) { return 2 * n - std::popcount(n); };
    EXPECT_EQ(nodes, stored(13) + (stored(11) - stored(6)) + (stored(12) - stored(9)));
    raw.Put(raw.cf("meta"), std::string(keys::kSchemaVersionKey), keys::EncodeU32(3));
  }
  Reopen();
  for (const auto& [branch, roots] : before)
    for (size_t n = 0; n < roots.size(); ++n) EXPECT_EQ(Root(branch, n), roots[n]) << branch << n;
  ExpectMatchesNaiveTree("bb", 12);
  AppendN("b", "b2-", 2);
  ExpectMatchesNaiveTree("b", 13);
  ledger_.reset();
  ltest::RawDb raw(dir_.path());
  EXPECT_EQ(keys::DecodeU32(raw.Get(raw.cf("meta"), std::string(keys::kSchemaVersionKey))),
            keys::kSchemaVersion);
}

}  // namespace
}  // namespace demarche::ledger
