package dev.fst.lab.data;

import com.google.common.base.Preconditions;

/**
 * A training set and a test set from one source, with the same image size and classes.
 *
 * @param source where the images came from, for reports (such as {@code cifar10:/data/cifar})
 * @param train the training images
 * @param test the test images
 */
public record LabData(String source, LabeledImages train, LabeledImages test) {

    /**
     * Checks that both sets agree on image size and classes.
     *
     * @param source where the images came from
     * @param train the training images
     * @param test the test images
     */
    public LabData {
        Preconditions.checkArgument(train.height() == test.height() && train.width() == test.width(),
                "train images are %sx%s but test images %sx%s", train.height(), train.width(), test.height(), test.width());
        Preconditions.checkArgument(train.classNames().equals(test.classNames()),
                "train and test sets have different classes: %s vs %s", train.classNames(), test.classNames());
    }
}
