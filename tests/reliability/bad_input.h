// The bad-input table: each class of bad input is one call through the real
// server, the status code it must get and the words its message must hold
// (the field or the reason). bad_input_test.cc runs them all against one
// server and checks that nothing was written and the server stays up.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "client.h"

namespace demarche::reliability::bad {

// The ledger every case runs against (built by the test's SetUp):
//   scenario "bad": main = m1 m2 m3 m4 (statements), m-prop (a USA proposal
//     to PRK); "left" forked after 5 with left-prop (a proposal); "right"
//     forked after 5 with right-1 (a statement).
//   scenario "bulk": main with kBulkEvents statements (a large read).
inline constexpr char kScenario[] = "bad";
inline constexpr char kBulk[] = "bulk";
inline constexpr int kBulkEvents = 5000;
inline constexpr int kMaxMessageMb = 4;  // demarched --max-message-mb

struct Case {
  std::string name;  // the class of bad input
  grpc::StatusCode code;
  std::vector<std::string> expect;  // substrings of the status message
  std::function<grpc::Status(Client&)> call;
  // Set while the server answers this case differently from `code` and
  // `expect` (a bug routed to the services): what it answers today. The
  // runner then checks that code instead, prints the gap, and still checks
  // that nothing was written and the server stays up.
  // If set: a line the server must log after the case (polled briefly), e.g.
  // proof that it noticed a client going away and ended the handler.
  std::string server_log = {};
  std::optional<grpc::StatusCode> known_gap_code = std::nullopt;
  std::string known_gap = {};
};

std::vector<Case> WireCases();   // malformed/oversized messages, streams, deadlines
std::vector<Case> EventCases();  // event content, dates, references, ids
std::vector<Case> ApiCases();    // names, unknowns, forks, heads
std::vector<Case> LongCases();   // values of any length, where each field has a limit

// A valid statement for `branch` of scenario "bad", to be spoiled by a case.
v1::Event Good(const std::string& id, const std::string& branch = "main");
// Appends to scenario "bad".
grpc::Status AppendTo(Client& c, const std::string& branch, const std::vector<v1::Event>& events,
                      std::optional<uint64_t> expected_head = std::nullopt);
// A unary call with a raw request body through grpc::GenericStub.
grpc::Status RawUnary(Client& c, const std::string& method, const std::string& body);

}  // namespace demarche::reliability::bad
