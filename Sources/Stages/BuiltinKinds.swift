// BuiltinKinds: the registry of every stage kind madpipe ships.

import PipelineCore

public enum BuiltinKinds {
    /// All built-in kinds.
    public static var all: [any StageKind] {
        [CommandStage(), WriteStage(), ConcatStage(), TableStage(),
         LoadActivationsStage(), TrainFlowStage(), FitDetectorStage(), ScoreStage(), EvaluateStage(), CompareTwinsStage(), SeparationStage(),
         TrainSAEStage(), TrainProbeStage(),
         PretrainStage(), FinetuneStage(), SelectCheckpointStage(),
         QuirkyDatasetStage(), LoadDatasetStage(),
         ExtractActivationsStage(), ExtractAttributionStage(), ModelOutputsStage(),
         HFExtractStage(), HFOutputsStage(), HFFinetuneStage(), HFAttributionStage(),
         ReportStage()]
    }

    /// A registry holding all built-in kinds.
    public static var registry: StageRegistry { StageRegistry(all) }
}
