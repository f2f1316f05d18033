// RFC 6962 / RFC 9162 Merkle tree hashing and proofs, the structure of a
// verifiable log: a leaf is SHA-256(0x00 || entry) over an entry's stored
// bytes, a node SHA-256(0x01 || left || right), and the tree of n leaves
// splits at the largest power of two below n.
//
// Pure functions: proofs are built from the hashes of perfect subtrees that
// a caller reads from wherever it keeps them (NodeReader), and checked from
// the proof alone, so a client can verify what a server sends it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tlog/sha256.h"

namespace demarche::tlog {

inline constexpr size_t kHashBytes = kSha256Bytes;

std::string LeafHash(std::string_view entry);
std::string NodeHash(std::string_view left, std::string_view right);
// The root of the empty tree: SHA-256 of nothing.
std::string EmptyRoot();

// The hash of the perfect subtree at `level` (0 = a leaf) covering leaves
// [index << level, (index + 1) << level).
using NodeReader = std::function<absl::StatusOr<std::string>(int level, uint64_t index)>;

// The root of the first `size` leaves (EmptyRoot for 0).
absl::StatusOr<std::string> Root(uint64_t size, const NodeReader& node);
// The audit path of leaf `index` in the tree of `size` leaves, deepest
// first. INVALID_ARGUMENT "index: ..." when index >= size.
absl::StatusOr<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t size,
                                                        const NodeReader& node);
// The proof that the tree of size2 leaves extends the tree of size1.
// INVALID_ARGUMENT naming the field when size1 is 0 or size1 > size2; empty
// for size1 == size2.
absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t size1, uint64_t size2,
                                                          const NodeReader& node);

// Checks (RFC 9162 2.1.3.2, 2.1.4.2). OK, or an error saying what does not
// hold: INVALID_ARGUMENT for impossible parameters, FAILED_PRECONDITION for a
// proof that does not lead to the root.
absl::StatusOr<std::string> RootFromInclusionProof(uint64_t index, uint64_t size,
                                                   std::string_view leaf_hash,
                                                   const std::vector<std::string>& proof);
absl::Status VerifyInclusion(uint64_t index, uint64_t size, std::string_view leaf_hash,
                             const std::vector<std::string>& proof, std::string_view root);
absl::Status VerifyConsistency(uint64_t size1, uint64_t size2,
                               const std::vector<std::string>& proof, std::string_view root1,
                               std::string_view root2);

// The right edge of a growing tree: the roots of the perfect subtrees that
// cover its leaves, one per set bit of its size. Appending a leaf completes
// the nodes it names (on_node), so a log that stores them can later answer
// proofs with O(log n) reads, and the root needs no reads at all.
class Frontier {
 public:
  using OnNode = std::function<void(int level, uint64_t index, const std::string& hash)>;
  Frontier() = default;
  // The frontier of a tree of `size` leaves, read through `node`.
  static absl::StatusOr<Frontier> Of(uint64_t size, const NodeReader& node);

  uint64_t size() const { return size_; }
  // Adds a leaf; calls on_node for it (level 0) and every node it completes.
  void Append(std::string leaf_hash, const OnNode& on_node);
  std::string Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<std::string> peaks_;  // highest level first, as the set bits of size_
};

}  // namespace demarche::tlog
