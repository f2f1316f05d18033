#include "services/auth.h"

#include <cctype>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "ledger/canonical.h"
#include "ledger/file.h"

namespace demarche::services {
namespace {

bool ParseRole(std::string_view text, Role* role) {
  if (text == "reader")
    *role = Role::kReader;
  else if (text == "analyst")
    *role = Role::kAnalyst;
  else if (text == "curator")
    *role = Role::kCurator;
  else
    return false;
  return true;
}

std::vector<std::string> Fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  return fields;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReader:
      return "reader";
    case Role::kAnalyst:
      return "analyst";
    case Role::kCurator:
      return "curator";
  }
  return "unknown";
}

absl::StatusOr<TokenTable> TokenTable::Parse(std::string_view text, std::string_view origin) {
  TokenTable table;
  std::istringstream in{std::string(text)};
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::vector<std::string> f = Fields(line);
    if (f.empty()) continue;
    auto error = [&](const std::string& why) {
      return absl::InvalidArgumentError(fmt::format("{}:{}: {}", origin, number, why));
    };
    if (f.size() != 3) {
      return error(fmt::format("expected `<token> <principal> <role>`, found {} fields", f.size()));
    }
    if (f[0].size() < kMinTokenLength) {
      return error(fmt::format("token shorter than {} characters", kMinTokenLength));
    }
    Principal principal{f[1], Role::kReader};
    if (!ParseRole(f[2], &principal.role)) {
      return error(fmt::format("role \"{}\" is not reader, analyst or curator", f[2]));
    }
    // Principals end up in recorded_by and branch owners: keep them printable.
    for (char c : principal.name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
          c != '@') {
        return error(
            fmt::format("principal \"{}\": only letters, digits and - _ . @", principal.name));
      }
    }
    if (!table.by_digest_.emplace(ledger::Sha256(f[0]), std::move(principal)).second) {
      return error("token repeats an earlier line's token");
    }
  }
  if (table.by_digest_.empty()) {
    return absl::InvalidArgumentError(fmt::format("{}: no token in the file", origin));
  }
  return table;
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ledger::ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(fmt::format("{}: cannot read the token file", path));
  return Parse(*text, path);
}

const Principal* TokenTable::Find(std::string_view token) const {
  auto it = by_digest_.find(ledger::Sha256(token));
  return it == by_digest_.end() ? nullptr : &it->second;
}

absl::StatusOr<Principal> Authenticator::Authenticate(
    const grpc::ServerContextBase* context) const {
  if (tokens_ == nullptr) return Principal{local_principal_, Role::kCurator};
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "authorization: missing; send metadata `authorization: Bearer <token>` (demarche "
        "--token)");
  }
  std::string_view value(it->second.data(), it->second.size());
  // RFC 7235: the scheme is case-insensitive ("bearer", "BEARER"), and one
  // or more spaces separate it from the token.
  const size_t space = value.find(' ');
  const std::string_view scheme = value.substr(0, space);
  if (space == std::string_view::npos ||
      !absl::EqualsIgnoreCase(absl::string_view(scheme.data(), scheme.size()), "bearer")) {
    return absl::UnauthenticatedError("authorization: not a bearer token (`Bearer <token>`)");
  }
  std::string_view token = value.substr(space);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  const Principal* principal = tokens_->Find(token);
  if (principal == nullptr) {
    return absl::UnauthenticatedError("authorization: unknown or revoked token");
  }
  return *principal;
}

absl::StatusOr<Principal> Authenticator::Authorize(const grpc::ServerContextBase* context,
                                                   Role minimum, std::string_view action) const {
  absl::StatusOr<Principal> principal = Authenticate(context);
  if (!principal.ok()) return principal.status();
  if (principal->role < minimum) {
    return absl::PermissionDeniedError(fmt::format("{} ({}) may not {}: needs role {} or above",
                                                   principal->name, RoleName(principal->role),
                                                   action, RoleName(minimum)));
  }
  return principal;
}

absl::Status MayAppend(const Principal& principal, std::string_view branch,
                       std::string_view owner) {
  if (principal.role == Role::kCurator) return absl::OkStatus();
  if (principal.role == Role::kAnalyst && branch != "main" && owner == principal.name) {
    return absl::OkStatus();
  }
  if (principal.role == Role::kAnalyst) {
    return absl::PermissionDeniedError(
        branch == "main"
            ? fmt::format("branch: {} (analyst) may not append to main; only curators may",
                          principal.name)
            : fmt::format("branch: {} (analyst) may not append to \"{}\", owned by {}; analysts "
                          "append only to branches they created",
                          principal.name, branch, owner));
  }
  return absl::PermissionDeniedError(
      fmt::format("{} ({}) may not append: needs role analyst or above", principal.name,
                  RoleName(principal.role)));
}

}  // namespace demarche::services
