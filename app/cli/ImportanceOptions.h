#pragma once
// Importance options shared by `importance` and `allocate`.
#include <vector>

#include "app/cli/CliSupport.h"
#include "engine/importance/Importance.h"

namespace roundlab::cli {

// --estimator (a comma list when `several`), --ig-points, --ig-share, --ig-full-set, --probes;
// `standalone` adds --bits, --calib-count, --batch and --seed (allocate has its own).
void addImportanceOptions(QCommandLineParser& parser, bool several, bool standalone);
std::vector<ImportanceRequest> importanceRequestsFromOptions(const QCommandLineParser& parser, bool standalone);
std::vector<int> parseBitList(const QString& text, const QString& option);  // "2,3,4"
QJsonObject importanceToJson(const ImportanceTable& table);

}  // namespace roundlab::cli
