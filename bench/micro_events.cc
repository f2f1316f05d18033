#include "bench/micro_events.h"

namespace demarche::bench {

std::vector<v1::Event> StoredEvents(size_t n, uint64_t seed) {
  GeneratorOptions o;
  o.seed = seed;
  o.events = n;
  Generator gen(o);
  std::vector<v1::Event> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    v1::Event e = gen.Next();
    e.set_scenario("bench");
    e.set_branch("main");
    e.set_seq(i + 1);
    e.mutable_recorded_at()->set_seconds(1700000000 + static_cast<int64_t>(i));
    e.mutable_recorded_at()->set_nanos(123456789);
    e.set_recorded_by("bench");
    e.set_prev_hash(std::string(32, static_cast<char>(i)));
    e.set_hash(std::string(32, static_cast<char>(i + 1)));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace demarche::bench
