package dev.caravan.run;

import dev.caravan.CaravanException;

import java.util.List;

/** The run input does not match the workflow's input schema. */
public class InvalidInputException extends CaravanException {

    private final List<String> problems;

    public InvalidInputException(String workflow, List<String> problems) {
        super("Invalid input for workflow " + workflow + ": " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }

    @Override
    public String code() {
        return "INPUT_INVALID";
    }
}
