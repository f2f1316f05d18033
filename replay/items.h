// The keyed lists of a PartyState ("fields") and their items: names, keys,
// the event ids an item references, and the JSON used in FieldChange. Shared
// by Diff (two states) and Timeline (one event's changes).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "demarche/v1/state.pb.h"
#include "google/protobuf/message.h"

namespace demarche::replay {

// PartyState field numbers of the keyed lists.
enum Field : int {
  kPositions = v1::PartyState::kPositionsFieldNumber,
  kDemandsMade = v1::PartyState::kDemandsMadeFieldNumber,
  kDemandsFaced = v1::PartyState::kDemandsFacedFieldNumber,
  kProposalsMade = v1::PartyState::kProposalsMadeFieldNumber,
  kProposalsReceived = v1::PartyState::kProposalsReceivedFieldNumber,
  kAgreements = v1::PartyState::kAgreementsFieldNumber,
  kAidGiven = v1::PartyState::kAidGivenFieldNumber,
  kAidReceived = v1::PartyState::kAidReceivedFieldNumber,
  kSanctionsImposed = v1::PartyState::kSanctionsImposedFieldNumber,
  kSanctionsSuffered = v1::PartyState::kSanctionsSufferedFieldNumber,
  kRelations = v1::PartyState::kRelationsFieldNumber,
  kForums = v1::PartyState::kForumsFieldNumber,
  kConcessions = v1::PartyState::kConcessionsFieldNumber,
};

// The PartyState field name ("positions", "aid_given", ...).
const std::string& FieldName(int field);

// "counterpart|commodity|unit": the key of a flow.
std::string FlowKey(std::string_view counterpart, std::string_view commodity,
                    std::string_view unit);

// The key of an item of `field` (concessions: a google.protobuf.StringValue).
std::string ItemKey(int field, const google::protobuf::Message& item);

// Event ids an item references (its own event, status/ending events, flow
// events, last contact), unsorted.
std::vector<std::string> ItemEventIds(int field, const google::protobuf::Message& item);

// Protobuf JSON mapping of an item (compact, proto field names kept).
std::string ItemJson(const google::protobuf::Message& item);

// Deterministic bytes of an item, for equality.
std::string ItemBytes(const google::protobuf::Message& item);

// A FieldChange for one item (either side may be null = absent).
v1::FieldChange MakeChange(const std::string& party, int field, const std::string& key,
                           const google::protobuf::Message* before,
                           const google::protobuf::Message* after,
                           std::vector<std::string> event_ids);

}  // namespace demarche::replay
