// Placeholder until the CLI issue lands: says so clearly and exits non-zero.
Console.Error.WriteLine("mlnet-tts: the command-line verbs (prepare, train, synthesize, bench) are not yet available.");
return 1;
