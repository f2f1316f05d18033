// Watches whether the ledger can write (Ledger::Health) from a thread of its
// own: logs each change (warn "ledger read-only" with the reason, info
// "ledger writable again") and sets the standard health service's
// "demarche.writes" entry (NOT_SERVING while read-only), so an operator's
// probe sees a full disk before a client's append does.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/health_check_service_interface.h>

#include "ledger/ledger.h"

namespace demarche::services {

// The health service name that reports writability.
inline constexpr const char* kWritesHealthName = "demarche.writes";

class StorageWatch {
 public:
  // Checks once now, then every `every`. `health` may be null.
  StorageWatch(ledger::Ledger* ledger, grpc::HealthCheckServiceInterface* health,
               std::chrono::milliseconds every);
  ~StorageWatch();  // stops and joins the thread

  StorageWatch(const StorageWatch&) = delete;
  StorageWatch& operator=(const StorageWatch&) = delete;

 private:
  void Check();
  void Loop();

  ledger::Ledger* const ledger_;
  grpc::HealthCheckServiceInterface* const health_;
  const std::chrono::milliseconds every_;
  bool first_ = true;
  std::string reason_;  // the last reason reported; "" = writable
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace demarche::services
