#pragma once
// The settings a lesson writes in its manifest, made into engine values: a run's request (keys are
// RequestFields' names, e.g. {"method": "adaround", "wbits": 2, "iterations": 200}) and a grid
// (the Grid view's settings). A lesson run starts from RoundLab's defaults — those of
// `roundlab-cli quantize` — so the same few keys give the same run, and the same bits, everywhere.
#include <QJsonObject>
#include <QString>

#include <stdexcept>

#include "engine/pipeline/QuantizationRequest.h"
#include "engine/quant/WeightQuantConfig.h"

namespace roundlab::app {

// A setting that does not exist or does not read: what() says which and why.
class LessonSettingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

QuantizationRequest lessonRequest(const QJsonObject& fields);
// Whether a run was made with every setting `fields` names (the others may be anything).
bool runMatches(const QuantizationRequest& run, const QJsonObject& fields);

// Keys: bits, symmetric, granularity, group_size, range, p, exponent, search (and source, the Grid
// view's "layer" or a synthetic distribution, which the grid itself ignores).
WeightQuantConfig lessonGridConfig(const QJsonObject& grid);
// The grid's source: empty for the selected layer, else the synthetic distribution's name.
QString lessonGridSource(const QJsonObject& grid);

}  // namespace roundlab::app
