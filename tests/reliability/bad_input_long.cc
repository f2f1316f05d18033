// Values of any length: every string field the API takes has a limit checked
// before use, and a refused value is echoed cut short ("\"aaa…\" (8192
// bytes)"), so the status stays far below gRPC's 8 KiB metadata limit. An 8
// KB id once made the client see "metadata size exceeds limit" instead of
// the reason, and a 20 MiB branch description broke ListBranches for all.
#include "bad_input.h"

namespace demarche::reliability::bad {
namespace {

using grpc::StatusCode;

const std::string k8k(8192, 'a');
const std::string k8kUpper(8192, 'A');

grpc::Status Fork(Client& c, const std::function<void(v1::CreateBranchRequest&)>& set) {
  v1::CreateBranchRequest r;
  r.set_scenario(kScenario);
  r.set_name("long-fork");
  set(r);
  v1::Branch b;
  return c.branches->CreateBranch(Ctx().get(), r, &b);
}

grpc::Status NewScenario(Client& c, const std::function<void(v1::Scenario&)>& set) {
  v1::CreateScenarioRequest r;
  v1::Scenario& s = *r.mutable_scenario();
  s.set_name("long");
  v1::Party* p = s.add_roster();
  p->set_code("USA");
  set(s);
  v1::Scenario out;
  return c.scenarios->CreateScenario(Ctx().get(), r, &out);
}

grpc::Status Spoiled(Client& c, const std::function<void(v1::Event&)>& spoil) {
  v1::Event e = Good("long-event");
  spoil(e);
  return AppendTo(c, "main", {e});
}

template <typename Request, typename Response>
grpc::Status StreamAll(std::unique_ptr<grpc::ClientReader<Response>> reader) {
  Response r;
  while (reader->Read(&r)) {
  }
  return reader->Finish();
}

}  // namespace

std::vector<Case> LongCases() {
  const auto IA = StatusCode::INVALID_ARGUMENT;
  const std::string cut = "(8192 bytes)";
  std::vector<Case> cases;
  cases.push_back({"an 8 KB event id", IA, {"events[0].id", cut}, [](Client& c) {
                     return Spoiled(c, [](v1::Event& e) { e.set_id(k8k); });
                   }});
  cases.push_back({"an 8 KB actor code", IA, {"events[0].actor[0]", cut}, [](Client& c) {
                     return Spoiled(c, [](v1::Event& e) { e.set_actor(0, k8kUpper); });
                   }});
  cases.push_back({"an 8 KB response target", IA, {"move.response.target", cut}, [](Client& c) {
                     return Spoiled(c, [](v1::Event& e) {
                       v1::Response* r = e.mutable_move()->mutable_response();
                       r->set_target(k8k);
                       r->set_kind(v1::RESPONSE_KIND_ACCEPT);
                     });
                   }});
  cases.push_back({"an 8 KB scenario name", IA, {"scenario", cut}, [](Client& c) {
                     v1::AppendResponse r;
                     return Append(c, k8k, "main", {Good("x")}, std::nullopt, &r);
                   }});
  cases.push_back({"an 8 KB branch name to read", IA, {"branch", cut}, [](Client& c) {
                     v1::GetStateRequest r;
                     r.set_scenario(kScenario);
                     r.set_branch(k8k);
                     v1::ScenarioState out;
                     return c.replay->GetState(Ctx().get(), r, &out);
                   }});
  cases.push_back({"an 8 KB id to get", IA, {"id", cut, "1..128"}, [](Client& c) {
                     v1::GetEventRequest r;
                     r.set_scenario(kScenario);
                     r.set_id(k8k);
                     v1::Event out;
                     return c.ledger->GetEvent(Ctx().get(), r, &out);
                   }});
  cases.push_back({"a malformed id to get", IA, {"id", "\"no spaces\""}, [](Client& c) {
                     v1::GetEventRequest r;
                     r.set_scenario(kScenario);
                     r.set_id("no spaces");
                     v1::Event out;
                     return c.ledger->GetEvent(Ctx().get(), r, &out);
                   }});
  cases.push_back({"an 8 KB party filter", IA, {"parties[0]", cut}, [](Client& c) {
                     v1::ReadRequest r;
                     r.set_scenario(kScenario);
                     r.add_parties(k8kUpper);
                     auto ctx = Ctx();
                     return StreamAll<v1::ReadRequest>(c.ledger->Read(ctx.get(), r));
                   }});
  cases.push_back({"an 8 KB move type filter", IA, {"move_types[0]", cut}, [](Client& c) {
                     v1::ReadRequest r;
                     r.set_scenario(kScenario);
                     r.add_move_types(k8k);
                     auto ctx = Ctx();
                     return StreamAll<v1::ReadRequest>(c.ledger->Read(ctx.get(), r));
                   }});
  cases.push_back({"an 8 KB state field", IA, {"fields[0]"}, [](Client& c) {
                     v1::GetStateRequest r;
                     r.set_scenario(kScenario);
                     r.add_fields(k8k);
                     v1::ScenarioState out;
                     return c.replay->GetState(Ctx().get(), r, &out);
                   }});
  cases.push_back({"an 8 KB branch name to create", IA, {"name", cut}, [](Client& c) {
                     return Fork(c, [](auto& r) { r.set_name(k8k); });
                   }});
  cases.push_back({"an 8 KB fork event id", IA, {"after_event", cut}, [](Client& c) {
                     return Fork(c, [](auto& r) { r.set_after_event(k8k); });
                   }});
  cases.push_back({"a 1 MiB branch description",
                   IA,
                   {"description: 1048576 bytes exceed the limit of 4096"},
                   [](Client& c) {
                     return Fork(c, [](auto& r) { r.set_description(std::string(1 << 20, 'd')); });
                   }});
  cases.push_back({"a 1 MiB scenario description",
                   IA,
                   {"scenario.description: 1048576 bytes exceed the limit of 4096"},
                   [](Client& c) {
                     return NewScenario(
                         c, [](v1::Scenario& s) { s.set_description(std::string(1 << 20, 'd')); });
                   }});
  cases.push_back({"a 300-byte scenario title",
                   IA,
                   {"scenario.title: 300 bytes exceed the limit of 200"},
                   [](Client& c) {
                     return NewScenario(
                         c, [](v1::Scenario& s) { s.set_title(std::string(300, 't')); });
                   }});
  cases.push_back({"a 300-byte party name",
                   IA,
                   {"scenario.roster[0].name: 300 bytes exceed the limit of 200"},
                   [](Client& c) {
                     return NewScenario(c, [](v1::Scenario& s) {
                       s.mutable_roster(0)->set_name(std::string(300, 'n'));
                     });
                   }});
  cases.push_back(
      {"an 8 KB party code in a roster", IA, {"scenario.roster[0].code", cut}, [](Client& c) {
         return NewScenario(c, [](v1::Scenario& s) { s.mutable_roster(0)->set_code(k8kUpper); });
       }});
  cases.push_back({"a roster of 100,000 parties",
                   IA,
                   {"scenario.roster: 100000 parties exceed the limit of 10000"},
                   [](Client& c) {
                     return NewScenario(c, [](v1::Scenario& s) {
                       s.clear_roster();
                       for (int i = 0; i < 100000; ++i)
                         s.add_roster()->set_code("P" + std::to_string(i));
                     });
                   }});
  cases.push_back({"an 8 KB scenario name to get", IA, {"name", cut}, [](Client& c) {
                     v1::GetScenarioRequest r;
                     r.set_name(k8k);
                     v1::Scenario out;
                     return c.scenarios->GetScenario(Ctx().get(), r, &out);
                   }});
  return cases;
}

}  // namespace demarche::reliability::bad
