#include "crash_model.h"

#include <set>

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

namespace demarche::reliability {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr size_t kMaxProblems = 20;

void Problem(std::string* out, size_t* count, const std::string& what) {
  if (++*count <= kMaxProblems) *out += what + "\n";
}

}  // namespace

v1::Event ClientPart(const v1::Event& stored) {
  v1::Event e = stored;
  e.clear_scenario();
  e.clear_branch();
  e.clear_seq();
  e.clear_recorded_at();
  e.clear_recorded_by();
  e.clear_prev_hash();
  e.clear_hash();
  return e;
}

void CrashModel::Acked(const std::vector<v1::Event>& stored) {
  std::lock_guard lock(mu_);
  for (const v1::Event& e : stored) known_[e.branch()][e.seq()] = e;
}

void CrashModel::InDoubt(SentBatch batch) {
  std::lock_guard lock(mu_);
  in_doubt_.push_back(std::move(batch));
}

void CrashModel::Refused(SentBatch batch) {
  std::lock_guard lock(mu_);
  refused_.push_back(std::move(batch));
}

uint64_t CrashModel::acked_events() const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (const auto& [branch, events] : known_) n += events.size();
  return n;
}

std::string CrashModel::Check(const std::map<std::string, std::vector<v1::Event>>& lineages,
                              CheckStats* stats, std::vector<SentBatch>* present_in_doubt) {
  std::lock_guard lock(mu_);
  std::string out;
  size_t problems = 0;
  // branch -> id -> its own stored event.
  std::map<std::string, std::map<std::string, const v1::Event*>> own;
  *stats = CheckStats{};
  for (const auto& [branch, lineage] : lineages) {
    std::set<std::string> ids;
    for (size_t i = 0; i < lineage.size(); ++i) {
      const v1::Event& e = lineage[i];
      if (e.seq() != i + 1)
        Problem(&out, &problems,
                fmt::format("{}: position {} holds seq {} (gap or reorder)", branch, i, e.seq()));
      if (!ids.insert(e.id()).second)
        Problem(&out, &problems, fmt::format("{}: id {} appears twice", branch, e.id()));
      if (e.branch() == branch) {
        own[branch][e.id()] = &e;
        ++stats->events;
      }
    }
  }
  // 1. Every acknowledged event, at its seq, byte for byte.
  for (const auto& [branch, events] : known_) {
    auto lineage = lineages.find(branch);
    for (const auto& [seq, acked] : events) {
      if (lineage == lineages.end() || seq == 0 || seq > lineage->second.size()) {
        Problem(&out, &problems,
                fmt::format("{}: acknowledged seq {} ({}) is missing", branch, seq, acked.id()));
        continue;
      }
      const v1::Event& stored = lineage->second[seq - 1];
      if (!MessageDifferencer::Equals(stored, acked))
        Problem(
            &out, &problems,
            fmt::format("{}: seq {} differs from its acknowledgement:\n  acked  {}\n  stored {}",
                        branch, seq, acked.ShortDebugString(), stored.ShortDebugString()));
    }
  }
  // 2. In-doubt batches: all or nothing; found ones become acknowledged.
  for (SentBatch& batch : in_doubt_) {
    const auto& mine = own[batch.branch];
    std::vector<const v1::Event*> found;
    for (const v1::Event& e : batch.events) {
      auto it = mine.find(e.id());
      if (it != mine.end()) found.push_back(it->second);
    }
    if (found.empty()) {
      ++stats->in_doubt_absent;
      continue;
    }
    if (found.size() != batch.events.size()) {
      Problem(
          &out, &problems,
          fmt::format("{}: half-written batch: {} of {} events present (first id {})", batch.branch,
                      found.size(), batch.events.size(), batch.events.front().id()));
      continue;
    }
    ++stats->in_doubt_present;
    for (size_t i = 0; i < found.size(); ++i) {
      if (found[i]->seq() != found[0]->seq() + i)
        Problem(&out, &problems,
                fmt::format("{}: batch starting {} is not contiguous", batch.branch,
                            batch.events.front().id()));
      if (!MessageDifferencer::Equals(ClientPart(*found[i]), batch.events[i]))
        Problem(&out, &problems,
                fmt::format("{}: {} stored with other content", batch.branch, found[i]->id()));
      known_[batch.branch][found[i]->seq()] = *found[i];
    }
    present_in_doubt->push_back(batch);
  }
  in_doubt_.clear();
  // 3. Refused batches wrote nothing.
  for (const SentBatch& batch : refused_) {
    for (const v1::Event& e : batch.events) {
      if (own[batch.branch].count(e.id()))
        Problem(&out, &problems,
                fmt::format("{}: {} was refused yet is stored", batch.branch, e.id()));
    }
  }
  refused_.clear();
  // 4. Nothing that no client sent: every own event is known.
  for (const auto& [branch, ids] : own) {
    for (const auto& [id, e] : ids) {
      auto k = known_[branch].find(e->seq());
      if (k == known_[branch].end() || k->second.id() != id)
        Problem(&out, &problems,
                fmt::format("{}: seq {} ({}) was never acknowledged nor in doubt", branch, e->seq(),
                            id));
    }
  }
  if (problems > kMaxProblems) out += fmt::format("... and {} more\n", problems - kMaxProblems);
  return out;
}

}  // namespace demarche::reliability
