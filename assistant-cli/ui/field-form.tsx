/**
 * A small form of one-line text fields (ink-text-input). Enter moves to the
 * next field and submits on the last; Tab/↓ and Shift-Tab/↑ move between
 * fields; Esc cancels. The values stay as typed until the owner closes the
 * form, so a rejected submit loses nothing.
 */
import { Box, Text, useInput } from "ink";
import TextInput from "ink-text-input";
import { useRef, useState } from "react";
import type { FieldSpec, FormValues } from "./collection.js";

export interface FieldFormProps {
  title: string;
  fields: FieldSpec[];
  initial: FormValues;
  /** While true (a submit in flight) input is ignored. */
  busy: boolean;
  /** False while another tab is shown. */
  active: boolean;
  onSubmit(values: FormValues): void;
  onCancel(): void;
}

/** Renders the form in a box, the focused field with a cursor. */
export function FieldForm({ title, fields, initial, busy, active, onSubmit, onCancel }: FieldFormProps) {
  const [values, setValues] = useState<FormValues>(initial);
  const [focus, setFocus] = useState(0);
  // Keys can arrive faster than renders; submit what was typed, not a stale render's copy.
  const latest = useRef(values);
  latest.current = values;
  const labelWidth = Math.max(...fields.map((f) => f.label.length)) + 4;

  const move = (by: number) => setFocus((f) => Math.max(0, Math.min(fields.length - 1, f + by)));
  useInput(
    (_input, key) => {
      if (key.escape) onCancel();
      else if (key.downArrow || (key.tab && !key.shift)) move(1);
      else if (key.upArrow || (key.tab && key.shift)) move(-1);
    },
    { isActive: active && !busy },
  );

  const submitField = () => {
    if (focus < fields.length - 1) move(1);
    else onSubmit(latest.current);
  };

  return (
    <Box borderStyle="round" borderColor="cyan" flexDirection="column" paddingX={1}>
      <Text bold color="cyan" wrap="truncate-end">
        {title}
      </Text>
      {fields.map((field, n) => (
        <Box key={field.name}>
          <Box width={labelWidth} flexShrink={0}>
            <Text bold={n === focus} color={n === focus ? "cyan" : undefined}>
              {n === focus ? "› " : "  "}
              {field.label}
            </Text>
          </Box>
          <Box flexGrow={1} flexBasis={0}>
            {n === focus && active && !busy ? (
              <TextInput
                value={values[field.name] ?? ""}
                placeholder={field.placeholder ?? ""}
                onChange={(value) => setValues((v) => ({ ...v, [field.name]: value }))}
                onSubmit={submitField}
              />
            ) : (
              <Text wrap="truncate-end" dimColor={!values[field.name]}>
                {values[field.name] || field.placeholder || " "}
              </Text>
            )}
          </Box>
        </Box>
      ))}
    </Box>
  );
}
