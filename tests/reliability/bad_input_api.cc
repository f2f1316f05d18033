// Bad requests around the events: unknown scenarios, branches and parties,
// invalid names, forks beyond the head or after events the parent does not
// have, stale heads, reads and subscriptions out of range.
#include <cstdint>

#include "bad_input.h"

namespace demarche::reliability::bad {
namespace {

using grpc::StatusCode;

grpc::Status Fork(Client& c, const std::function<void(v1::CreateBranchRequest&)>& set) {
  v1::CreateBranchRequest r;
  r.set_scenario(kScenario);
  r.set_name("fork");
  r.set_parent("main");
  set(r);
  v1::Branch b;
  return c.branches->CreateBranch(Ctx().get(), r, &b);
}

grpc::Status NewScenario(Client& c, const std::function<void(v1::Scenario&)>& set) {
  v1::CreateScenarioRequest r;
  v1::Scenario& s = *r.mutable_scenario();
  s.set_name("fresh");
  v1::Party* p = s.add_roster();
  p->set_code("USA");
  p->set_kind(v1::PARTY_KIND_STATE);
  set(s);
  v1::Scenario out;
  return c.scenarios->CreateScenario(Ctx().get(), r, &out);
}

grpc::Status ReadWith(Client& c, const std::function<void(v1::ReadRequest&)>& set) {
  v1::ReadRequest r;
  r.set_scenario(kScenario);
  set(r);
  grpc::Status s;
  auto ctx = Ctx();
  auto reader = c.ledger->Read(ctx.get(), r);
  v1::Event e;
  while (reader->Read(&e)) {
  }
  return reader->Finish();
}

}  // namespace

std::vector<Case> ApiCases() {
  const auto IA = StatusCode::INVALID_ARGUMENT;
  const auto NF = StatusCode::NOT_FOUND;
  std::vector<Case> cases;
  // Unknown names.
  cases.push_back({"an unknown scenario", NF, {"scenario \"nope\" not found"}, [](Client& c) {
                     v1::AppendResponse r;
                     return Append(c, "nope", "main", {Good("x")}, std::nullopt, &r);
                   }});
  cases.push_back(
      {"an unknown branch", NF, {"branch \"nope\" not found in scenario \"bad\""}, [](Client& c) {
         return AppendTo(c, "nope", {Good("x", "nope")});
       }});
  cases.push_back({"no branch on a write", IA, {"branch"}, [](Client& c) {
                     return AppendTo(c, "", {Good("x")});
                   }});
  cases.push_back(
      {"an unknown party in a read filter", IA, {"parties[0]", "\"GBR\""}, [](Client& c) {
         return ReadWith(c, [](auto& r) { r.add_parties("GBR"); });
       }});
  cases.push_back({"an unknown move type in a read filter", IA, {"move_types[0]"}, [](Client& c) {
                     return ReadWith(c, [](auto& r) { r.add_move_types("bribe"); });
                   }});
  cases.push_back({"an unknown read order", IA, {"order", "unknown value 7"}, [](Client& c) {
                     return ReadWith(c,
                                     [](auto& r) { r.set_order(static_cast<v1::ReadOrder>(7)); });
                   }});
  cases.push_back({"a read whose date range ends before it starts", IA, {"to_date"}, [](Client& c) {
                     return ReadWith(c, [](auto& r) {
                       *r.mutable_from_date() = Day(2004, 1, 1);
                       *r.mutable_to_date() = Day(2003, 1, 1);
                     });
                   }});
  cases.push_back({"an impossible as-of date for a state",
                   IA,
                   {"as_of", "2003-04 has no day 31"},
                   [](Client& c) {
                     v1::GetStateRequest r;
                     r.set_scenario(kScenario);
                     *r.mutable_as_of() = Day(2003, 4, 31);
                     v1::ScenarioState s;
                     return c.replay->GetState(Ctx().get(), r, &s);
                   }});
  cases.push_back({"a seq beyond the head", NF, {"no event at seq 99"}, [](Client& c) {
                     v1::GetEventRequest r;
                     r.set_scenario(kScenario);
                     r.set_seq(99);
                     v1::Event e;
                     return c.ledger->GetEvent(Ctx().get(), r, &e);
                   }});
  cases.push_back({"a GetEvent without a key", IA, {"key", "seq or id"}, [](Client& c) {
                     v1::GetEventRequest r;
                     r.set_scenario(kScenario);
                     v1::Event e;
                     return c.ledger->GetEvent(Ctx().get(), r, &e);
                   }});
  cases.push_back(
      {"a verify of an unknown scenario", NF, {"scenario \"nope\" not found"}, [](Client& c) {
         v1::VerifyRequest r;
         r.set_scenario("nope");
         v1::VerifyResponse out;
         return c.audit->Verify(Ctx().get(), r, &out);
       }});
  // Names.
  cases.push_back(
      {"an invalid branch name", IA, {"name", "\"Bad Name\"", "must match"}, [](Client& c) {
         return Fork(c, [](auto& r) { r.set_name("Bad Name"); });
       }});
  cases.push_back({"a branch name over 64 characters", IA, {"name", "must match"}, [](Client& c) {
                     return Fork(c, [](auto& r) { r.set_name(std::string(65, 'a')); });
                   }});
  cases.push_back({"an invalid scenario name", IA, {"scenario.name", "must match"}, [](Client& c) {
                     return NewScenario(c, [](auto& s) { s.set_name("-x"); });
                   }});
  cases.push_back(
      {"an invalid party code in a roster", IA, {"roster[0].code", "\"usa\""}, [](Client& c) {
         return NewScenario(c, [](auto& s) { s.mutable_roster(0)->set_code("usa"); });
       }});
  cases.push_back(
      {"a scenario name that is taken",
       StatusCode::ALREADY_EXISTS,
       {"scenario \"bad\" already exists"},
       [](Client& c) { return NewScenario(c, [](auto& s) { s.set_name(kScenario); }); }});
  cases.push_back({"a branch name that is taken",
                   StatusCode::ALREADY_EXISTS,
                   {"branch \"left\" already exists"},
                   [](Client& c) { return Fork(c, [](auto& r) { r.set_name("left"); }); }});
  // Forks.
  cases.push_back({"a fork beyond the head",
                   StatusCode::OUT_OF_RANGE,
                   {"after_seq: 6 is beyond the head 5"},
                   [](Client& c) { return Fork(c, [](auto& r) { r.set_after_seq(6); }); }});
  cases.push_back(
      {"a fork at -1 on the wire (before seq 0)",
       StatusCode::OUT_OF_RANGE,
       {"after_seq: 18446744073709551615 is beyond the head"},
       [](Client& c) { return Fork(c, [](auto& r) { r.set_after_seq(UINT64_MAX); }); }});
  cases.push_back({"a fork after an event the parent does not have",
                   NF,
                   {"after_event", "\"ghost\""},
                   [](Client& c) { return Fork(c, [](auto& r) { r.set_after_event("ghost"); }); }});
  cases.push_back({"a fork after an event only on a sibling branch",
                   NF,
                   {"after_event", "\"left-prop\"", "branch \"right\""},
                   [](Client& c) {
                     return Fork(c, [](auto& r) {
                       r.set_parent("right");
                       r.set_after_event("left-prop");
                     });
                   }});
  cases.push_back(
      {"a fork after an empty event id", IA, {"after_event", "required"}, [](Client& c) {
         return Fork(c, [](auto& r) { r.set_after_event(""); });
       }});
  cases.push_back(
      {"a fork of an unknown parent", NF, {"parent", "branch \"nope\" not found"}, [](Client& c) {
         return Fork(c, [](auto& r) { r.set_parent("nope"); });
       }});
  cases.push_back({"an impossible fork date cutoff", IA, {"date_cutoff.month"}, [](Client& c) {
                     return Fork(c, [](auto& r) { *r.mutable_date_cutoff() = Day(2003, 13, 1); });
                   }});
  // Heads.
  cases.push_back({"an expected_head that is stale",
                   StatusCode::FAILED_PRECONDITION,
                   {"expected_head 3", "branch \"main\" head is 5"},
                   [](Client& c) { return AppendTo(c, "main", {Good("late")}, 3); }});
  cases.push_back({"an expected_head from the future",
                   StatusCode::FAILED_PRECONDITION,
                   {"expected_head 9", "head is 5"},
                   [](Client& c) { return AppendTo(c, "main", {Good("early")}, 9); }});
  cases.push_back({"an expected_head of 2^64-1",
                   StatusCode::OUT_OF_RANGE,
                   {"expected_head", "beyond any head"},
                   [](Client& c) { return AppendTo(c, "main", {Good("max")}, UINT64_MAX); }});
  // A position beyond the head is OUT_OF_RANGE in every method that takes one.
  cases.push_back({"a read known at a seq beyond the head",
                   StatusCode::OUT_OF_RANGE,
                   {"known_at: 42 is beyond the head 5 of branch \"main\""},
                   [](Client& c) { return ReadWith(c, [](auto& r) { r.set_known_at(42); }); }});
  cases.push_back({"a state known at a seq beyond the head",
                   StatusCode::OUT_OF_RANGE,
                   {"known_at: 42 is beyond the head 5 of branch \"main\""},
                   [](Client& c) {
                     v1::GetStateRequest r;
                     r.set_scenario(kScenario);
                     r.set_known_at(42);
                     v1::ScenarioState out;
                     return c.replay->GetState(Ctx().get(), r, &out);
                   }});
  cases.push_back({"a subscription resuming beyond the head",
                   StatusCode::OUT_OF_RANGE,
                   {"after_seq: 42 is beyond the head 5"},
                   [](Client& c) {
                     v1::SubscribeRequest r;
                     r.set_scenario(kScenario);
                     r.set_after_seq(42);
                     auto ctx = Ctx();
                     auto reader = c.ledger->Subscribe(ctx.get(), r);
                     v1::Event e;
                     while (reader->Read(&e)) {
                     }
                     return reader->Finish();
                   }});
  return cases;
}

}  // namespace demarche::reliability::bad
