// RFC 6962 hashing and proofs (tlog/merkle.h): the test vectors of the
// RFC 6962 reference data (as transparency-dev/merkle's proof tests use
// them: eight leaves, their roots, and inclusion and consistency proofs),
// the same corruptions of each proof (wrong index or sizes, a flipped bit in
// each element, an element removed or added, garbage before or after), and
// every proof of trees up to 70 leaves checked against a naive tree.
#include <map>

#include <gtest/gtest.h>

#include "tlog/merkle.h"

namespace demarche::tlog {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

const std::vector<std::string> kLeaves = {
    Unhex(""),
    Unhex("00"),
    Unhex("10"),
    Unhex("2021"),
    Unhex("3031"),
    Unhex("40414243"),
    Unhex("5051525354555657"),
    Unhex("606162636465666768696a6b6c6d6e6f"),
};

// kRoots[n - 1] is the root of the first n leaves.
const std::vector<std::string> kRoots = {
    Unhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    Unhex("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    Unhex("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    Unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    Unhex("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    Unhex("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    Unhex("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    Unhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
};

struct InclusionVector {
  uint64_t leaf;  // 1-based, as in the reference data
  uint64_t size;
  std::vector<std::string> proof;
};
const std::vector<InclusionVector> kInclusion = {
    {1, 1, {}},
    {1,
     8,
     {Unhex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
      Unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      Unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
    {6,
     8,
     {Unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
      Unhex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      Unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
    {3, 3, {Unhex("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")}},
    {2,
     5,
     {Unhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
      Unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      Unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
};

struct ConsistencyVector {
  uint64_t size1, size2;
  std::vector<std::string> proof;
};
const std::vector<ConsistencyVector> kConsistency = {
    {1, 1, {}},
    {1,
     8,
     {Unhex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
      Unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      Unhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
    {6,
     8,
     {Unhex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
      Unhex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      Unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
    {2,
     5,
     {Unhex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      Unhex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
    {6,
     7,
     {Unhex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
      Unhex("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
      Unhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
};

const std::string kSomeHash =
    Unhex("abacaba000000000000000000000000000000000000000000060061e00123456");

// A tree kept in memory the way the ledger keeps it: every node an append
// completes, by (level, index).
struct Tree {
  std::map<std::pair<int, uint64_t>, std::string> nodes;
  Frontier frontier;
  void Add(std::string_view entry) {
    frontier.Append(LeafHash(entry), [&](int level, uint64_t index, const std::string& h) {
      nodes[{level, index}] = h;
    });
  }
  NodeReader Reader() const {
    return [this](int level, uint64_t index) -> absl::StatusOr<std::string> {
      auto it = nodes.find({level, index});
      if (it == nodes.end()) return absl::NotFoundError("no such node");
      return it->second;
    };
  }
};

// MTH straight from RFC 6962 section 2.1.
std::string NaiveRoot(const std::vector<std::string>& entries, size_t begin, size_t end) {
  if (end - begin == 1) return LeafHash(entries[begin]);
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(NaiveRoot(entries, begin, begin + k), NaiveRoot(entries, begin + k, end));
}

std::vector<std::string> With(std::vector<std::string> v, size_t at, std::string h) {
  v.insert(v.begin() + static_cast<std::ptrdiff_t>(at), std::move(h));
  return v;
}

TEST(Merkle, EmptyTreeAndRfcRoots) {
  EXPECT_EQ(EmptyRoot(), Unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  Tree t;
  for (size_t n = 0; n < kLeaves.size(); ++n) {
    t.Add(kLeaves[n]);
    EXPECT_EQ(t.frontier.Root(), kRoots[n]) << n + 1;
    auto root = Root(n + 1, t.Reader());
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(*root, kRoots[n]) << n + 1;
  }
}

TEST(Merkle, InclusionVectorsAreBuiltAndVerifiedAndEveryCorruptionFails) {
  Tree t;
  for (const std::string& l : kLeaves) t.Add(l);
  for (const InclusionVector& v : kInclusion) {
    SCOPED_TRACE(testing::Message() << "leaf " << v.leaf << " of " << v.size);
    const uint64_t index = v.leaf - 1;
    auto built = InclusionProof(index, v.size, t.Reader());
    ASSERT_TRUE(built.ok()) << built.status();
    EXPECT_EQ(*built, v.proof);
    const std::string leaf = LeafHash(kLeaves[index]);
    const std::string& root = kRoots[v.size - 1];
    ASSERT_TRUE(VerifyInclusion(index, v.size, leaf, v.proof, root).ok());

    struct Probe {
      const char* what;
      uint64_t index, size;
      std::string leaf, root;
      std::vector<std::string> proof;
    };
    std::vector<Probe> probes = {
        {"index - 1", index - 1, v.size, leaf, root, v.proof},
        {"index + 1", index + 1, v.size, leaf, root, v.proof},
        {"index ^ 2", index ^ 2, v.size, leaf, root, v.proof},
        {"size * 2", index, v.size * 2, leaf, root, v.proof},
        {"size / 2", index, v.size / 2, leaf, root, v.proof},
        {"wrong leaf", index, v.size, LeafHash("WrongLeaf"), root, v.proof},
        {"empty root", index, v.size, leaf, EmptyRoot(), v.proof},
        {"random root", index, v.size, leaf, kSomeHash, v.proof},
        {"trailing garbage", index, v.size, leaf, root, With(v.proof, v.proof.size(), "")},
        {"trailing root", index, v.size, leaf, root, With(v.proof, v.proof.size(), root)},
        {"preceding garbage", index, v.size, leaf, root, With(v.proof, 0, "")},
        {"preceding root", index, v.size, leaf, root, With(v.proof, 0, root)},
    };
    for (size_t i = 0; i < v.proof.size(); ++i) {
      std::vector<std::string> flipped = v.proof;
      flipped[i][0] ^= 8;
      probes.push_back({"a bit flipped", index, v.size, leaf, root, flipped});
    }
    if (!v.proof.empty()) {
      probes.push_back({"removed component", index, v.size, leaf, root,
                        std::vector<std::string>(v.proof.begin(), v.proof.end() - 1)});
    }
    if (v.proof.size() > 1) {
      probes.push_back(
          {"inserted component", index, v.size, leaf, root, With(v.proof, 1, kSomeHash)});
    }
    for (const Probe& p : probes)
      EXPECT_FALSE(VerifyInclusion(p.index, p.size, p.leaf, p.proof, p.root).ok()) << p.what;
  }
}

TEST(Merkle, ConsistencyVectorsAreBuiltAndVerifiedAndEveryCorruptionFails) {
  Tree t;
  for (const std::string& l : kLeaves) t.Add(l);
  for (const ConsistencyVector& v : kConsistency) {
    SCOPED_TRACE(testing::Message() << v.size1 << " -> " << v.size2);
    auto built = ConsistencyProof(v.size1, v.size2, t.Reader());
    ASSERT_TRUE(built.ok()) << built.status();
    EXPECT_EQ(*built, v.proof);
    const std::string& r1 = kRoots[v.size1 - 1];
    const std::string& r2 = kRoots[v.size2 - 1];
    ASSERT_TRUE(VerifyConsistency(v.size1, v.size2, v.proof, r1, r2).ok());
    if (v.proof.empty()) continue;

    struct Probe {
      const char* what;
      uint64_t size1, size2;
      std::string root1, root2;
      std::vector<std::string> proof;
    };
    const size_t n = v.proof.size();
    std::vector<Probe> probes = {
        {"size1 - 1", v.size1 - 1, v.size2, r1, r2, v.proof},
        {"size1 + 1", v.size1 + 1, v.size2, r1, r2, v.proof},
        {"size1 ^ 2", v.size1 ^ 2, v.size2, r1, r2, v.proof},
        {"size2 * 2", v.size1, v.size2 * 2, r1, r2, v.proof},
        {"size2 / 2", v.size1, v.size2 / 2, r1, r2, v.proof},
        {"wrong root1", v.size1, v.size2, LeafHash("WrongRoot"), r2, v.proof},
        {"wrong root2", v.size1, v.size2, r1, LeafHash("WrongRoot"), v.proof},
        {"swapped roots", v.size1, v.size2, r2, r1, v.proof},
        {"empty proof", v.size1, v.size2, r1, r2, {}},
        {"trailing garbage", v.size1, v.size2, r1, r2, With(v.proof, n, "")},
        {"trailing root1", v.size1, v.size2, r1, r2, With(v.proof, n, r1)},
        {"trailing root2", v.size1, v.size2, r1, r2, With(v.proof, n, r2)},
        {"preceding garbage", v.size1, v.size2, r1, r2, With(v.proof, 0, "")},
        {"preceding root1", v.size1, v.size2, r1, r2, With(v.proof, 0, r1)},
        {"preceding root2", v.size1, v.size2, r1, r2, With(v.proof, 0, r2)},
        {"preceding proof[0]", v.size1, v.size2, r1, r2, With(v.proof, 0, v.proof[0])},
        {"truncated", v.size1, v.size2, r1, r2,
         std::vector<std::string>(v.proof.begin(), v.proof.end() - 1)},
    };
    for (size_t i = 0; i < n; ++i) {
      std::vector<std::string> flipped = v.proof;
      flipped[i][0] ^= 16;
      probes.push_back({"a bit flipped", v.size1, v.size2, r1, r2, flipped});
    }
    for (const Probe& p : probes)
      EXPECT_FALSE(VerifyConsistency(p.size1, p.size2, p.proof, p.root1, p.root2).ok()) << p.what;
  }
}

TEST(Merkle, EdgeCasesOfTheVerifiers) {
  const std::string leaf = LeafHash("data");
  EXPECT_TRUE(VerifyInclusion(0, 1, leaf, {}, leaf).ok());  // one leaf: it is the root
  EXPECT_FALSE(VerifyInclusion(0, 1, "", {}, leaf).ok());
  EXPECT_FALSE(VerifyInclusion(0, 1, leaf, {}, "").ok());
  EXPECT_EQ(VerifyInclusion(0, 0, leaf, {}, EmptyRoot()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(2, 1, leaf, {}, leaf).code(), absl::StatusCode::kInvalidArgument);
  // Sizes that are always consistent, and ones that never are.
  EXPECT_TRUE(VerifyConsistency(0, 0, {}, "r", "r").ok());
  EXPECT_TRUE(VerifyConsistency(0, 1, {}, "r1", "r2").ok());
  EXPECT_FALSE(VerifyConsistency(1, 1, {}, "r1", "r2").ok());
  EXPECT_EQ(VerifyConsistency(2, 1, {}, "r1", "r2").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(VerifyConsistency(1, 2, {}, "r1", "r2").ok());
  EXPECT_FALSE(VerifyConsistency(1, 1, {EmptyRoot()}, EmptyRoot(), EmptyRoot()).ok());
  // What the proof RPCs refuse, naming the field (as transparency-dev does).
  Tree t;
  for (const std::string& l : kLeaves) t.Add(l);
  auto r = InclusionProof(8, 8, t.Reader());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().substr(0, 6), "index:");
  auto c = ConsistencyProof(0, 8, t.Reader());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message().substr(0, 6), "size1:");
  c = ConsistencyProof(5, 4, t.Reader());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message().substr(0, 6), "size1:");
}

TEST(Merkle, EveryProofOfSmallTreesMatchesANaiveTree) {
  std::vector<std::string> entries;
  Tree t;
  std::vector<std::string> roots;
  for (int n = 1; n <= 70; ++n) {
    entries.push_back("entry " + std::to_string(n));
    t.Add(entries.back());
    roots.push_back(NaiveRoot(entries, 0, entries.size()));
    ASSERT_EQ(t.frontier.Root(), roots.back()) << n;
    auto again = Frontier::Of(static_cast<uint64_t>(n), t.Reader());
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->Root(), roots.back()) << n;
  }
  for (uint64_t size = 1; size <= 70; ++size) {
    for (uint64_t i = 0; i < size; ++i) {
      auto proof = InclusionProof(i, size, t.Reader());
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyInclusion(i, size, LeafHash(entries[i]), *proof, roots[size - 1]).ok())
          << i << " of " << size;
    }
    for (uint64_t size1 = 1; size1 <= size; ++size1) {
      auto proof = ConsistencyProof(size1, size, t.Reader());
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyConsistency(size1, size, *proof, roots[size1 - 1], roots[size - 1]).ok())
          << size1 << " -> " << size;
    }
  }
}

}  // namespace
}  // namespace demarche::tlog
