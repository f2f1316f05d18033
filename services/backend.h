// What every service shares: the ledger, the replay engine, who may call, and
// the flag that tells long-running streams the server stops.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <grpcpp/server_context.h>

#include "ledger/ledger.h"
#include "replay/replay.h"
#include "services/auth.h"

namespace demarche::services {

struct Backend {
  ledger::Ledger* ledger = nullptr;  // not owned
  replay::Engine* engine = nullptr;  // not owned
  std::unique_ptr<Authenticator> auth;
  // Set first thing on shutdown; Subscribe loops end when they see it.
  std::atomic<bool> stopping{false};
};

}  // namespace demarche::services
