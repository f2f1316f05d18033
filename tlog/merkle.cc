#include "tlog/merkle.h"

#include <bit>

#include <fmt/format.h>

#include "tlog/sha256.h"

namespace demarche::tlog {
namespace {

// The largest power of two strictly below n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

absl::Status Mismatch(std::string_view what) {
  return absl::FailedPreconditionError(std::string(what));
}

// MTH(D[begin:end]) for a range the RFC's recursion produces: begin is a
// multiple of the largest power of two not above end - begin, so the left
// part of every split is a perfect subtree.
absl::StatusOr<std::string> RangeHash(uint64_t begin, uint64_t end, const NodeReader& node) {
  const uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0)
    return node(std::countr_zero(n), begin >> std::countr_zero(n));
  const uint64_t k = SplitPoint(n);
  auto left = RangeHash(begin, begin + k, node);
  if (!left.ok()) return left.status();
  auto right = RangeHash(begin + k, end, node);
  if (!right.ok()) return right.status();
  return NodeHash(*left, *right);
}

absl::Status Path(uint64_t m, uint64_t begin, uint64_t end, const NodeReader& node,
                  std::vector<std::string>* out) {
  const uint64_t n = end - begin;
  if (n == 1) return absl::OkStatus();
  const uint64_t k = SplitPoint(n);
  absl::StatusOr<std::string> sibling;
  if (m < k) {
    if (absl::Status s = Path(m, begin, begin + k, node, out); !s.ok()) return s;
    sibling = RangeHash(begin + k, end, node);
  } else {
    if (absl::Status s = Path(m - k, begin + k, end, node, out); !s.ok()) return s;
    sibling = RangeHash(begin, begin + k, node);
  }
  if (!sibling.ok()) return sibling.status();
  out->push_back(*std::move(sibling));
  return absl::OkStatus();
}

absl::Status Subproof(uint64_t m, uint64_t begin, uint64_t end, bool whole, const NodeReader& node,
                      std::vector<std::string>* out) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (whole) return absl::OkStatus();
    auto h = RangeHash(begin, end, node);
    if (!h.ok()) return h.status();
    out->push_back(*std::move(h));
    return absl::OkStatus();
  }
  const uint64_t k = SplitPoint(n);
  absl::StatusOr<std::string> sibling;
  if (m <= k) {
    if (absl::Status s = Subproof(m, begin, begin + k, whole, node, out); !s.ok()) return s;
    sibling = RangeHash(begin + k, end, node);
  } else {
    if (absl::Status s = Subproof(m - k, begin + k, end, false, node, out); !s.ok()) return s;
    sibling = RangeHash(begin, begin + k, node);
  }
  if (!sibling.ok()) return sibling.status();
  out->push_back(*std::move(sibling));
  return absl::OkStatus();
}

absl::Status CheckHashes(const std::vector<std::string>& proof) {
  for (size_t i = 0; i < proof.size(); ++i)
    if (proof[i].size() != kHashBytes)
      return absl::InvalidArgumentError(
          fmt::format("proof[{}]: {} bytes, a hash has {}", i, proof[i].size(), kHashBytes));
  return absl::OkStatus();
}

}  // namespace

std::string LeafHash(std::string_view entry) {
  std::string bytes;
  bytes.reserve(entry.size() + 1);
  bytes.push_back('\0');
  bytes.append(entry);
  return Sha256(bytes);
}

std::string NodeHash(std::string_view left, std::string_view right) {
  std::string bytes;
  bytes.reserve(1 + left.size() + right.size());
  bytes.push_back('\1');
  bytes.append(left);
  bytes.append(right);
  return Sha256(bytes);
}

std::string EmptyRoot() { return Sha256(""); }

absl::StatusOr<std::string> Root(uint64_t size, const NodeReader& node) {
  if (size == 0) return EmptyRoot();
  return RangeHash(0, size, node);
}

absl::StatusOr<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t size,
                                                        const NodeReader& node) {
  if (index >= size)
    return absl::InvalidArgumentError(
        fmt::format("index: {} is not below the tree size {}", index, size));
  std::vector<std::string> proof;
  if (absl::Status s = Path(index, 0, size, node, &proof); !s.ok()) return s;
  return proof;
}

absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t size1, uint64_t size2,
                                                          const NodeReader& node) {
  if (size1 == 0)
    return absl::InvalidArgumentError(
        "size1: must be at least 1 (every tree extends the empty one)");
  if (size1 > size2)
    return absl::InvalidArgumentError(fmt::format("size1: {} is above size2 {}", size1, size2));
  std::vector<std::string> proof;
  if (size1 == size2) return proof;
  if (absl::Status s = Subproof(size1, 0, size2, true, node, &proof); !s.ok()) return s;
  return proof;
}

absl::StatusOr<std::string> RootFromInclusionProof(uint64_t index, uint64_t size,
                                                   std::string_view leaf_hash,
                                                   const std::vector<std::string>& proof) {
  if (index >= size)
    return absl::InvalidArgumentError(
        fmt::format("index: {} is not below the tree size {}", index, size));
  if (leaf_hash.size() != kHashBytes)
    return absl::InvalidArgumentError(fmt::format("leaf hash: {} bytes", leaf_hash.size()));
  if (absl::Status s = CheckHashes(proof); !s.ok()) return s;
  uint64_t fn = index, sn = size - 1;
  std::string r(leaf_hash);
  for (const std::string& p : proof) {
    if (sn == 0) return Mismatch("the inclusion proof is longer than the tree is deep");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Mismatch("the inclusion proof is shorter than the tree is deep");
  return r;
}

absl::Status VerifyInclusion(uint64_t index, uint64_t size, std::string_view leaf_hash,
                             const std::vector<std::string>& proof, std::string_view root) {
  auto got = RootFromInclusionProof(index, size, leaf_hash, proof);
  if (!got.ok()) return got.status();
  if (*got != root) return Mismatch("the inclusion proof leads to another root");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t size1, uint64_t size2,
                               const std::vector<std::string>& proof, std::string_view root1,
                               std::string_view root2) {
  if (size1 > size2)
    return absl::InvalidArgumentError(fmt::format("size1: {} is above size2 {}", size1, size2));
  if (absl::Status s = CheckHashes(proof); !s.ok()) return s;
  if (size1 == size2) {
    if (!proof.empty()) return Mismatch("a proof between equal sizes must be empty");
    if (root1 != root2) return Mismatch("equal sizes with different roots");
    return absl::OkStatus();
  }
  if (size1 == 0) {
    if (!proof.empty()) return Mismatch("a proof from the empty tree must be empty");
    return absl::OkStatus();
  }
  if (proof.empty()) return Mismatch("the consistency proof is empty");
  std::vector<std::string> path;
  if (std::has_single_bit(size1)) path.emplace_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const std::string& c = path[i];
    if (sn == 0) return Mismatch("the consistency proof is longer than the tree is deep");
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Mismatch("the consistency proof is shorter than the tree is deep");
  if (fr != root1) return Mismatch("the consistency proof does not lead to the first root");
  if (sr != root2) return Mismatch("the consistency proof does not lead to the second root");
  return absl::OkStatus();
}

absl::StatusOr<Frontier> Frontier::Of(uint64_t size, const NodeReader& node) {
  Frontier f;
  f.size_ = size;
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    auto h = node(level, begin >> level);
    if (!h.ok()) return h.status();
    f.peaks_.push_back(*std::move(h));
    begin += width;
  }
  return f;
}

void Frontier::Append(std::string leaf_hash, const OnNode& on_node) {
  const uint64_t index = size_;
  if (on_node) on_node(0, index, leaf_hash);
  std::string h = std::move(leaf_hash);
  // Each trailing set bit of the old size is a peak the new leaf completes.
  int level = 0;
  for (uint64_t s = size_; (s & 1) != 0; s >>= 1) {
    h = NodeHash(peaks_.back(), h);
    peaks_.pop_back();
    ++level;
    if (on_node) on_node(level, index >> level, h);
  }
  peaks_.push_back(std::move(h));
  ++size_;
}

std::string Frontier::Root() const {
  if (peaks_.empty()) return EmptyRoot();
  std::string r = peaks_.back();
  for (size_t i = peaks_.size() - 1; i-- > 0;) r = NodeHash(peaks_[i], r);
  return r;
}

}  // namespace demarche::tlog
