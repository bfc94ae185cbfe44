// The README's main job. Until the bundled default voice exists (issue: default voice),
// this says so clearly instead of pretending to speak.
Console.Error.WriteLine("QuickStart: speaking with the bundled default voice is not yet available (no voice is bundled yet).");
return 1;
