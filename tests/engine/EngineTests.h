#pragma once
// Engine test suites (one executable; ctest runs each suite by name). No Torch here: moc reads it.
#include <QObject>

#include <functional>
#include <memory>
#include <vector>

namespace testsupport {

struct Suite {
  const char* name;
  std::function<std::unique_ptr<QObject>()> make;
};
// Every suite the sources declared, in link order.
std::vector<Suite>& suites();
struct SuiteRegistration {
  SuiteRegistration(const char* name, std::function<std::unique_ptr<QObject>()> make) {
    suites().push_back({name, std::move(make)});
  }
};

}  // namespace testsupport

// Declares a suite, at the start of a line in its source: tests/CMakeLists.txt reads these lines
// to register one ctest per suite (engine.<name>), so the sources are the only list.
#define ROUNDLAB_ENGINE_SUITE(name, Class) \
  static const testsupport::SuiteRegistration Class##Registration(name, [] { return std::make_unique<Class>(); })

class FileSafetyTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void atomicFileReplacesOnlyOnCommit();
  void staleTemporaryFilesOfDeadProcessesAreRemoved();
  void modelArchiveChecksCatchEveryDamage();
  void storedGridsAreValidated();
  void normalisationRuleRefusesTheAmbiguousCase();
  void childProcessReportsFinishCrashAndHang();
  void unsealedHdf5FilesAreReadFromACopyMadeInAChild();
};

class LanguageModelTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void tokenFilesAreReadAsIds();
  void badTokenFilesAreRefusedClearly();
  void textBecomesTokenWindows();
  void everyProjectionIsALayer_data();
  void everyProjectionIsALayer();
  void newWeightsReachTheStoredLayout();
  void perplexityMatchesPyTorch_data();
  void perplexityMatchesPyTorch();
  void captureReplaysEveryProjection();
  void decoderQuantizes();
  void demoLanguageModelReproducesItsPerplexity();
  void tiedHeadAndEmbeddingStayOneTensor();
  void embeddingTablesQuantizePerRowOnRequest();
  void tupleOrDictOutputIsChosenByIndexOrKey();
};

class ModelTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void scriptedResNetLayersMatchModuleTree();
  void convolutionKernelsAreCappedAtAvx2();
  void tracedAndScriptedAgree_data();
  void tracedAndScriptedAgree();
  void convAttributesMatchScriptedConstants();
  void depthwiseGroupedAndConv1d();
  void attentionProjectionsAreLayers_data();
  void attentionProjectionsAreLayers();
  void sharedAndBranchLayers();
  void everyParameterIsAccountedFor_data();
  void everyParameterIsAccountedFor();
  void setWeightChangesOutputAndRestores();
  void setWeightRejectsBadValues();
  void cloneIsIndependent();
  void missingFileError();
  void notTorchScriptError();
  void noForwardError();
  void noQuantizableLayerError();
  void inputShapeMismatchError();
  void unknownLayerError();
  void demoModelsListEveryWeight();
  void demoResNetDataflowFollowsItsArchitecture();
  void dataflowSameScriptedAndTraced();
  void attentionOutputReadsOnlyItsProjection();
  void dataflowFollowsTuplesAndDicts();
  void demoResNetShapesFollowItsArchitecture();
  void demoTransformerShapesFollowItsArchitecture();
  void macsFollowTheConvAndLinearFormulas();
};

class CaptureTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void replayReproducesCaptures_data();
  void replayReproducesCaptures();
  void branchAndRepeatedCalls();
  void captureAcrossBatchesIsConsistent();
  void attentionFastPathIsAvoided();
  void captureRejectsBadInput();
};

class DataTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void idxFashionMnistTestSplit();
  void idxRoundTripOfHandWrittenFile();
  void idxErrors();
  void hdf5RoundTripNormalises();
  void hdf5ReadsFilesFromTheCApi();
  void hdf5Errors();
  void readIndicesKeepsOrder();
  void subsetIsDeterministic();
  void writeIsAtomic();
  void augmentationIsPerSampleAndDeterministic();
};

class EvaluationTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void top1MatchesManualCount();
  void klAndAgreementAgainstReference();
  void pairedComparisonOfTwoModels();
  void pairedDifferenceOfGroupedPositions();
  void layerComparisonMatchesCapture();
  void labelsOutsideClassesRejected();
  void cancelStopsEvaluation();
  void demoModelsReproduceRecordedAccuracy();
};

class QuantizerTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void asymmetricPerChannelMatchesFormula();
  void symmetricRangeAndZeroPoint();
  void perTensorAndPerGroupScales();
  void lpSearchNeverWorseThanMinMax();
  void powerGridWithExponentOneIsUniform();
  void powerGridMatchesFormulaAndHelpsBellShapedWeights();
  void invalidConfigurationsRejected();
  void activationLsqGradientMatchesFormula();
  void activationRangeAndQdropMixing();
};

class ReconstructionTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void rectifiedSigmoidInverts();
  void fusedRoundingMatchesComposedOps();
  void fusedOffsetMatchesComposedOps();
  void indexedLossMatchesGatheredLoss();
  void slicedLayerLossMatchesWholeLoss();
  void kernelSetsGiveTheSameBits();
  void adaRoundBeatsRtnOnItsObjective();
  void adaRoundIsDeterministic();
  void adaRoundCancels();
  void modelRtnPutsEveryWeightOnItsGrid();
  void bitsResolution();
  void cancelledRunLeavesEarlierLayersQuantized();
  void blockReconstructionLowersBlockLoss();
  void transformerBlockReconstruction();
  void brecqQuantizesBlocksTogether();
  void exportsReproduceWeights();
  void powerGridThroughTheMethods();
  void gptqBeatsRtnOnItsObjective();
  void designSpaceVariantsOfTheRounding();
  void fisherWeightedBlockLoss();
  void biasAsDegreeOfFreedom();
  void learnedPowerExponent();
};

class ActivationQuantizationTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void insertedQuantizerMatchesFormula();
  void everyLayerInputOnItsGrid_data();
  void everyLayerInputOnItsGrid();
  void exportCarriesActivationQuantization_data();
  void exportCarriesActivationQuantization();
  void learnedStepsInLayerReconstruction();
  void learnedStepsInBlockReconstruction();
  void qdropRunQuantizesEveryInput();
  void invalidActivationSettingsRejected();
};

class OutputLossTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void suffixOfFpOutputIsTheModel_data();
  void suffixOfFpOutputIsTheModel();
  void klTermMatchesKlDiv();
  void brecqWithOutputTerm();
};

class LayerTargetTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void epilogueIsWhatTheNextLayerReads_data();
  void epilogueIsWhatTheNextLayerReads();
  void layersWithoutAnEpilogueSayWhy();
  void inPlaceActivationsReplayOutOfPlace();
  void adaRoundMatchesAfterTheActivation();
};

class PropagationTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void inputsMatchCaptureOfPartlyQuantizedModel_data();
  void inputsMatchCaptureOfPartlyQuantizedModel();
  void runsGiveTheSameCodesAsPerUnitCapture_data();
  void runsGiveTheSameCodesAsPerUnitCapture();
  void activationCacheSpillsToDisk();
  void activationCacheReservesRoomForExpectedBatches();
  void runFromDiskCacheGivesTheSameCodes();
};

class ImportanceTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void spearmanMatchesHandComputed();
  void exactAllocationEqualsBruteForce();
  void pinsAndBudgetsAreRespected();
  void paretoFrontIsMonotone();
  void estimateNeedsNoModel();
  void integratedGradientsMatchExactLossChange();
  void sampleSharedPathKeepsFullSetFirstOrder();
  void estimatorsLeaveTheModelAndCancel();
  void hessianTraceOfLastLayerMatchesClosedForm();
  void importanceErrorsMatchPerSampleChanges();
  void measuredAroundAnAllocation();
  void importanceTablesInSessions();
};

class SessionTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void sha256MatchesStandardVectors();
  void sessionRoundTripRestoresEverything();
  void badSessionFiles();
  void requestFieldsRoundTripAsText();
  void sessionsOfEarlierVersionsStillOpen();
  void experimentsRoundTripAndDamageIsNamed();
};

class WorkspaceTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void quantizeMatchesTheEngineDirectly();
  void failuresLeaveTheWorkspaceAsItWas();
  void sessionsRoundTripAndRerun();
  void importanceKeepsOneTablePerEstimator();
  void exportsOfTheCurrentRun();
  void allocationNeverLosesToUniformOnCalibration();
  void refinementWithMeasuredInteractions();
  void compareRunsGivesPerLayerDifferences();
  void runHistorySelectsRenamesAndDeletes();
  void gridPreviewMatchesAHandComputation();
  void roundingTraceFollowsTheLearning();
};

class ExperimentTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void experimentVariesOneAxis();
  void seedsGiveMeanAndSpread();
};

class StoppingRuleTests : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void unitStopsWhenSettled();
  void longWindowsAllowProportionallyMoreChanges();
};
