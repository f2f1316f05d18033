// What the crash test's clients know about the ledger: every acknowledged
// event with its envelope, every batch whose outcome is in doubt (sent, no
// reply before the kill), every batch the server refused. Check() compares
// that knowledge with the lineages read back after a restart.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "demarche/v1/event.pb.h"

namespace demarche::reliability {

struct SentBatch {
  std::string branch;
  std::vector<v1::Event> events;  // client content
};

struct CheckStats {
  uint64_t events = 0;            // events stored, each once (on the branch it was appended to)
  uint64_t in_doubt_present = 0;  // in-doubt batches found whole
  uint64_t in_doubt_absent = 0;   // in-doubt batches found absent
};

class CrashModel {
 public:
  // Thread-safe recorders for the writers.
  void Acked(const std::vector<v1::Event>& stored);
  void InDoubt(SentBatch batch);
  void Refused(SentBatch batch);

  // `lineages` maps each branch to its lineage in seq order. Checks that
  // seqs are gapless from 1; every acknowledged event is at its seq with the
  // same content and envelope; each in-doubt batch is entirely present (then
  // contiguous, and from now on acknowledged) or entirely absent; no refused
  // batch was written; nothing else is there. Returns "" or the problems.
  std::string Check(const std::map<std::string, std::vector<v1::Event>>& lineages,
                    CheckStats* stats, std::vector<SentBatch>* present_in_doubt);

  uint64_t acked_events() const;

 private:
  mutable std::mutex mu_;
  // branch -> seq -> stored event (own events of the branch only).
  std::map<std::string, std::map<uint64_t, v1::Event>> known_;
  std::vector<SentBatch> in_doubt_;
  std::vector<SentBatch> refused_;
};

// The client content of a stored event (envelope fields cleared).
v1::Event ClientPart(const v1::Event& stored);

}  // namespace demarche::reliability
