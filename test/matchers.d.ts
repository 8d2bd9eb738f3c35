// Brings aws-sdk-client-mock-jest's matchers (toHaveReceivedCommandWith, …) into the type checker.
import 'aws-sdk-client-mock-jest';
