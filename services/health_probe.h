// A minimal grpc.health.v1 client for `demarched --check` (container and
// compose health checks, where no grpc_health_probe is installed).
#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"

namespace demarche::services {

// Asks the server at `address` for the health of `service` ("" = the whole
// server). True if SERVING; an error status if the call fails.
absl::StatusOr<bool> ProbeHealth(const std::string& address, const std::string& service,
                                 std::chrono::milliseconds timeout);

}  // namespace demarche::services
