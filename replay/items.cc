#include "replay/items.h"

#include "google/protobuf/util/json_util.h"
#include "google/protobuf/wrappers.pb.h"
#include "proto/deterministic.h"

namespace demarche::replay {

const std::string& FieldName(int field) {
  const google::protobuf::FieldDescriptor* fd =
      v1::PartyState::descriptor()->FindFieldByNumber(field);
  static const std::string kUnknown = "unknown";
  return fd == nullptr ? kUnknown : fd->name();
}

std::string FlowKey(std::string_view counterpart, std::string_view commodity,
                    std::string_view unit) {
  std::string key(counterpart);
  key += '|';
  key += commodity;
  key += '|';
  key += unit;
  return key;
}

std::string ItemKey(int field, const google::protobuf::Message& item) {
  switch (field) {
    case kPositions:
      return static_cast<const v1::Position&>(item).issue();
    case kDemandsMade:
    case kDemandsFaced:
    case kProposalsMade:
    case kProposalsReceived:
      return static_cast<const v1::Offer&>(item).event_id();
    case kAgreements:
      return static_cast<const v1::AgreementState&>(item).agreement();
    case kAidGiven:
    case kAidReceived: {
      const auto& f = static_cast<const v1::Flow&>(item);
      return FlowKey(f.counterpart(), f.commodity(), f.unit());
    }
    case kSanctionsImposed:
    case kSanctionsSuffered:
      return static_cast<const v1::SanctionState&>(item).measure();
    case kRelations:
      return static_cast<const v1::Relation&>(item).counterpart();
    case kForums:
      return static_cast<const v1::ForumState&>(item).forum();
    case kConcessions:
      return static_cast<const google::protobuf::StringValue&>(item).value();
    default:
      return "";
  }
}

std::vector<std::string> ItemEventIds(int field, const google::protobuf::Message& item) {
  std::vector<std::string> ids;
  auto add = [&ids](const std::string& id) {
    if (!id.empty()) ids.push_back(id);
  };
  switch (field) {
    case kPositions:
      add(static_cast<const v1::Position&>(item).event_id());
      break;
    case kDemandsMade:
    case kDemandsFaced:
    case kProposalsMade:
    case kProposalsReceived: {
      const auto& o = static_cast<const v1::Offer&>(item);
      add(o.event_id());
      add(o.status_event_id());
      break;
    }
    case kAgreements: {
      const auto& a = static_cast<const v1::AgreementState&>(item);
      add(a.signed_event_id());
      add(a.ended_event_id());
      break;
    }
    case kAidGiven:
    case kAidReceived:
      for (const std::string& id : static_cast<const v1::Flow&>(item).event_ids()) add(id);
      break;
    case kSanctionsImposed:
    case kSanctionsSuffered:
      add(static_cast<const v1::SanctionState&>(item).event_id());
      break;
    case kRelations:
      add(static_cast<const v1::Relation&>(item).last_event_id());
      break;
    case kForums:
      add(static_cast<const v1::ForumState&>(item).event_id());
      break;
    case kConcessions:
      add(static_cast<const google::protobuf::StringValue&>(item).value());
      break;
    default:
      break;
  }
  return ids;
}

std::string ItemJson(const google::protobuf::Message& item) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(item, &json, options).ok()) return "{}";
  return json;
}

std::string ItemBytes(const google::protobuf::Message& item) { return DeterministicBytes(item); }

v1::FieldChange MakeChange(const std::string& party, int field, const std::string& key,
                           const google::protobuf::Message* before,
                           const google::protobuf::Message* after,
                           std::vector<std::string> event_ids) {
  v1::FieldChange change;
  change.set_party(party);
  change.set_field(FieldName(field));
  change.set_key(key);
  if (before != nullptr) change.set_before(ItemJson(*before));
  if (after != nullptr) change.set_after(ItemJson(*after));
  for (std::string& id : event_ids) change.add_event_ids(std::move(id));
  return change;
}

}  // namespace demarche::replay
