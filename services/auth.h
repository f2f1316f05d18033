// Who is calling and what they may do (DESIGN.md, "Security model").
//
// Bearer tokens come from a file given to demarched, one per line:
//   <token> <principal> <role>        # role: reader | analyst | curator
// Clients send `authorization: Bearer <token>` metadata. Roles nest: reader
// reads, replays and verifies; analyst also creates branches and appends to
// the branches it owns; curator also appends to `main` and any branch and
// creates scenarios. Without a token file every call acts as the server's
// local principal with the curator role (loopback development use).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <grpcpp/server_context.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace demarche::services {

enum class Role { kReader = 1, kAnalyst = 2, kCurator = 3 };

std::string_view RoleName(Role role);

struct Principal {
  std::string name;
  Role role = Role::kReader;
};

// token -> principal. Tokens are kept only as SHA-256 digests, so a memory
// dump does not reveal them and lookups do not compare secrets byte by byte.
class TokenTable {
 public:
  // Parses the token file's text. INVALID_ARGUMENT naming `origin:line` and
  // the reason for a malformed line, an unknown role, a token shorter than
  // kMinTokenLength, a repeated token, or a file with no token at all.
  static absl::StatusOr<TokenTable> Parse(std::string_view text, std::string_view origin);
  // Reads and parses `path` (NOT_FOUND if it cannot be read).
  static absl::StatusOr<TokenTable> Load(const std::string& path);

  static constexpr size_t kMinTokenLength = 16;

  // The principal of `token`, or null.
  const Principal* Find(std::string_view token) const;
  size_t size() const { return by_digest_.size(); }

 private:
  std::unordered_map<std::string, Principal> by_digest_;
};

// How calls are authenticated: by the token table, or (none) all as `local`.
class Authenticator {
 public:
  Authenticator(std::shared_ptr<const TokenTable> tokens, std::string local_principal)
      : tokens_(std::move(tokens)), local_principal_(std::move(local_principal)) {}

  bool enabled() const { return tokens_ != nullptr; }

  // The caller of `context`: UNAUTHENTICATED if tokens are enabled and the
  // call carries no bearer token or an unknown one.
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase* context) const;
  // Authenticate, then PERMISSION_DENIED unless the caller's role is at least
  // `minimum`; `action` names what was refused ("append to a branch").
  absl::StatusOr<Principal> Authorize(const grpc::ServerContextBase* context, Role minimum,
                                      std::string_view action) const;

 private:
  std::shared_ptr<const TokenTable> tokens_;
  std::string local_principal_;
};

// Whether `principal` may append to `branch`, which `owner` created:
// curators anywhere, analysts to their own branches other than main.
absl::Status MayAppend(const Principal& principal, std::string_view branch, std::string_view owner);

}  // namespace demarche::services
