// What every service shares: the ledger, the replay engine, the local
// principal, and the flag that tells long-running streams the server stops.
#pragma once

#include <atomic>
#include <string>

#include <grpcpp/server_context.h>

#include "ledger/ledger.h"
#include "replay/replay.h"
#include "services/principal.h"

namespace demarche::services {

struct Backend {
  ledger::Ledger* ledger = nullptr;  // not owned
  replay::Engine* engine = nullptr;  // not owned
  // recorded_by for calls without an authenticated identity.
  std::string local_principal = "local";
  // Set first thing on shutdown; Subscribe loops end when they see it.
  std::atomic<bool> stopping{false};

  Principal Caller(const grpc::ServerContext* context) const {
    return PrincipalFromContext(context, local_principal);
  }
};

}  // namespace demarche::services
