import AerieJoint
import AerieTensor
import Testing

/// Views sampled in training and views that stand for an image outside it.
@Suite struct EvaluationViewsTests {
    static func data(evaluationViews: [Int]?) throws -> TrainingData {
        let a = Tensor(shape: [3, 2], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], data: [3, 2, 1, 0, 9, 8])
        return try TrainingData(imageViews: [a, b], captionFeatures: Tensor(shape: [3, 1], data: [0, 1, 2]),
                                captionImage: [0, 1, 2], captionText: [0, 1, 2], imageClass: nil,
                                trainImages: [0, 1], validationImages: [2], evaluationViews: evaluationViews)
    }

    @Test func theMeanIsOverTheEvaluationViews() throws {
        #expect(try Self.data(evaluationViews: nil).meanImageFeatures([0, 2]).data == [2, 2, 7, 7])
        #expect(try Self.data(evaluationViews: [0]).meanImageFeatures([0, 2]).data == [1, 2, 5, 6])
        #expect(try Self.data(evaluationViews: [1]).meanImageFeatures([1]).data == [1, 0])
    }

    @Test func evaluationViewsMustBeGivenViews() {
        #expect(throws: JointError.self) { try Self.data(evaluationViews: [2]) }
        #expect(throws: JointError.self) { try Self.data(evaluationViews: []) }
        #expect(throws: JointError.self) { try Self.data(evaluationViews: [0, 0]) }
    }
}
