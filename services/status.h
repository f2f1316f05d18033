// Error plumbing for the services: absl::Status inside, grpc::Status on the
// wire. Handlers build precise messages that name the field and the reason.
#pragma once

#include <string>
#include <utility>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "ledger/quote.h"

namespace demarche::services {

// absl and gRPC share the canonical code numbering (0..16), so the code maps
// one to one; the message is kept, cut to ledger::kMaxMessageBytes (it
// travels in metadata, which gRPC limits to 8 KiB by default).
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), ledger::MessageOf(status));
}

// The same status with `prefix: ` in front of its message (to say which batch
// or which field of a request an error from below refers to).
inline absl::Status Prefixed(const absl::Status& status, const std::string& prefix) {
  if (status.ok()) return status;
  return absl::Status(status.code(), prefix + ": " + std::string(status.message()));
}

}  // namespace demarche::services

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define DEMARCHE_RETURN_IF_ERROR(expr)          \
  do {                                          \
    if (absl::Status _st = (expr); !_st.ok()) { \
      return _st;                               \
    }                                           \
  } while (0)

// Declares `lhs` from an absl::StatusOr expression, or returns its status.
#define DEMARCHE_ASSIGN_OR_RETURN(lhs, expr) \
  DEMARCHE_ASSIGN_OR_RETURN_IMPL(DEMARCHE_CONCAT(_statusor_, __LINE__), lhs, expr)
#define DEMARCHE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
#define DEMARCHE_CONCAT(a, b) DEMARCHE_CONCAT_IMPL(a, b)
#define DEMARCHE_CONCAT_IMPL(a, b) a##b
