#pragma once
// An experiment as roundlab-cli prints it: a text table and JSON (experiment, session, merge).
#include <QJsonObject>
#include <QString>

#include "engine/pipeline/Experiment.h"

namespace roundlab::cli {

QJsonObject experimentToJson(const ExperimentRecord& experiment);
QString experimentToText(const ExperimentRecord& experiment);

}  // namespace roundlab::cli
