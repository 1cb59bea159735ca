package dev.caravan.run;

import java.util.List;

/** The run input does not match the workflow's input schema. */
public class InvalidInputException extends RuntimeException {

    private final List<String> problems;

    public InvalidInputException(String workflow, List<String> problems) {
        super("Invalid input for workflow " + workflow + ": " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
