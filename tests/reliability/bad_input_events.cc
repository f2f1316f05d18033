// Bad events: content the validator must refuse, impossible dates,
// references that do not resolve (dangling, or only on a sibling branch),
// ids that clash.
#include <cmath>

#include "bad_input.h"
#include "crash_model.h"

namespace demarche::reliability::bad {
namespace {

using grpc::StatusCode;

// A case that appends Good(id) to `branch` after `spoil` changed it.
Case Spoiled(std::string name, StatusCode code, std::vector<std::string> expect,
             std::function<void(v1::Event&)> spoil, std::string branch = "main") {
  return {std::move(name), code, std::move(expect), [spoil, branch](Client& c) {
            v1::Event e = Good("spoiled", branch);
            spoil(e);
            return AppendTo(c, branch, {e});
          }};
}

v1::PartialDate D(int y, int m, int d) { return Day(y, m, d); }

}  // namespace

v1::Event Good(const std::string& id, const std::string& branch) {
  return Statement(id, Day(2003, 8, 27), "USA", branch == "main");
}

grpc::Status AppendTo(Client& c, const std::string& branch, const std::vector<v1::Event>& events,
                      std::optional<uint64_t> expected_head) {
  v1::AppendResponse response;
  return Append(c, kScenario, branch, events, expected_head, &response);
}

std::vector<Case> EventCases() {
  const auto IA = StatusCode::INVALID_ARGUMENT;
  std::vector<Case> cases;
  // Dates.
  cases.push_back(Spoiled("an impossible date (2003-02-29)", IA,
                          {"events[0].occurred.day", "2003-02 has no day 29"},
                          [](v1::Event& e) { *e.mutable_occurred() = D(2003, 2, 29); }));
  cases.push_back(Spoiled("month 13", IA, {"events[0].occurred.month", "13"},
                          [](v1::Event& e) { *e.mutable_occurred() = D(2003, 13, 0); }));
  cases.push_back(Spoiled("a day without a month", IA,
                          {"events[0].occurred.day", "a day needs a month"},
                          [](v1::Event& e) { *e.mutable_occurred() = D(2003, 0, 9); }));
  cases.push_back(Spoiled("a year out of range (10000)", IA, {"events[0].occurred.year", "1..9999"},
                          [](v1::Event& e) { *e.mutable_occurred() = D(10000, 1, 1); }));
  cases.push_back(Spoiled("a month and day without a year", IA, {"events[0].occurred.year"},
                          [](v1::Event& e) { *e.mutable_occurred() = D(0, 8, 27); }));
  cases.push_back(Spoiled("an end date before the start", IA,
                          {"events[0].occurred_end", "before occurred"},
                          [](v1::Event& e) { *e.mutable_occurred_end() = D(2003, 8, 1); }));
  // Parties.
  cases.push_back(Spoiled("an unknown party as actor", IA,
                          {"events[0].actor[0]", "\"GBR\" is not in the roster"},
                          [](v1::Event& e) { e.set_actor(0, "GBR"); }));
  cases.push_back(Spoiled("an unknown party as recipient", IA,
                          {"events[0].recipients[0]", "\"XXX\" is not in the roster"},
                          [](v1::Event& e) { e.add_recipients("XXX"); }));
  cases.push_back(Spoiled("a repeated actor", IA, {"events[0].actor[1]", "repeats"},
                          [](v1::Event& e) { e.add_actor("USA"); }));
  cases.push_back(Spoiled("no actor", IA, {"events[0].actor", "at least one party"},
                          [](v1::Event& e) { e.clear_actor(); }));
  // Content.
  cases.push_back(Spoiled("no move", IA, {"events[0].move", "exactly one move kind"},
                          [](v1::Event& e) { e.clear_move(); }));
  cases.push_back(
      Spoiled("an unknown enum value", IA, {"events[0].move.statement.stance", "unknown value 99"},
              [](v1::Event& e) {
                e.mutable_move()->mutable_statement()->set_stance(static_cast<v1::Stance>(99));
              }));
  cases.push_back(Spoiled("a weight outside [-10, 10]", IA, {"events[0].move.weight", "[-10, 10]"},
                          [](v1::Event& e) { e.mutable_move()->set_weight(11); }));
  cases.push_back(
      Spoiled("a NaN quantity", IA, {"events[0].move.aid.quantity", "finite"}, [](v1::Event& e) {
        v1::Aid* a = e.mutable_move()->mutable_aid();
        a->set_action(v1::AID_ACTION_PLEDGE);
        a->set_commodity("food grain");
        a->set_quantity(std::nan(""));
        a->set_unit("t");
      }));
  cases.push_back(Spoiled("an invalid event id", IA, {"events[0].id", "[A-Za-z0-9._:-]"},
                          [](v1::Event& e) { e.set_id("has space"); }));
  cases.push_back(Spoiled("no source on main", IA,
                          {"events[0].sources", "at least one source required on branch \"main\""},
                          [](v1::Event& e) { e.clear_sources(); }));
  cases.push_back(Spoiled("a hypothetical event on main", IA,
                          {"events[0].context", "HYPOTHETICAL is not allowed"},
                          [](v1::Event& e) { e.set_context(v1::CONTEXT_HYPOTHETICAL); }));
  cases.push_back(
      {"a bad event in the middle of a batch", IA, {"events[2].occurred.day"}, [](Client& c) {
         std::vector<v1::Event> batch = {Good("mid0"), Good("mid1"), Good("mid2"), Good("mid3")};
         *batch[2].mutable_occurred() = D(2003, 4, 31);
         return AppendTo(c, "main", batch);
       }});
  // References.
  cases.push_back(
      {"a dangling response target",
       IA,
       {"events[0].move.response.target", "\"ghost\" does not resolve"},
       [](Client& c) { return AppendTo(c, "main", {ResponseTo("r", "ghost", "PRK", true)}); }});
  cases.push_back({"a response to a proposal only on a sibling branch",
                   IA,
                   {"events[0].move.response.target", "\"left-prop\"", "branch \"right\""},
                   [](Client& c) {
                     return AppendTo(c, "right", {ResponseTo("r", "left-prop", "PRK", false)});
                   }});
  cases.push_back(
      {"a response to a statement", IA, {"\"m1\" is a statement, not a proposal"}, [](Client& c) {
         return AppendTo(c, "main", {ResponseTo("r", "m1", "PRK", true)});
       }});
  cases.push_back(
      {"a correction of a non-existent event",
       IA,
       {"events[0].move.correction.target", "\"ghost\" does not resolve"},
       [](Client& c) { return AppendTo(c, "main", {Retraction("fix", "ghost", true)}); }});
  cases.push_back({"a correction of itself", IA, {"cannot correct itself"}, [](Client& c) {
                     return AppendTo(c, "main", {Retraction("fix", "fix", true)});
                   }});
  // Ids.
  cases.push_back({"a duplicate id with different content",
                   StatusCode::ALREADY_EXISTS,
                   {"events[0].id", "\"m1\" already exists at seq 1 with different content"},
                   [](Client& c) { return AppendTo(c, "main", {Good("m1")}); }});
  cases.push_back({"a duplicate id within one batch",
                   IA,
                   {"events[1].id", "repeats events[0].id"},
                   [](Client& c) {
                     return AppendTo(c, "main", {Good("twin"), Good("twin")});
                   }});
  cases.push_back({"a retry mixing recorded and new events",
                   StatusCode::ALREADY_EXISTS,
                   {"events[0].id", "all new events or an exact retry"},
                   [](Client& c) {
                     v1::GetEventRequest g;
                     g.set_scenario(kScenario);
                     g.set_id("m1");
                     v1::Event m1;
                     grpc::Status s = c.ledger->GetEvent(Ctx().get(), g, &m1);
                     if (!s.ok()) return s;
                     return AppendTo(c, "main", {ClientPart(m1), Good("fresh")});
                   }});
  return cases;
}

}  // namespace demarche::reliability::bad
